package main

import (
	"encoding/json"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestComposedOfDropsOnlyNamedEmptyFields: a field statefulSetZeroFields
// names goes where it is {} and stays where it holds something; an empty
// field it does not name stays, such as a volume's emptyDir: {}, which means
// an empty directory.
func TestComposedOfDropsOnlyNamedEmptyFields(t *testing.T) {
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "s"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "s",
			Selector:    &metav1.LabelSelector{},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init"}},
				Containers: []corev1.Container{
					{Name: "bare"},
					{Name: "sized", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}},
				},
				Volumes: []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}},
		},
	}
	m, err := composedOf(sts, statefulSetZeroFields...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"selector":{},"serviceName":"s","template":{"metadata":{},"spec":{` +
		`"containers":[{"name":"bare"},{"name":"sized","resources":{"requests":{"cpu":"1"}}}],"initContainers":[{"name":"init"}],` +
		`"volumes":[{"emptyDir":{},"name":"scratch"}]}},"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"resources":{}}}]}}`
	if got := string(b); got != want {
		t.Errorf("composedOf:\n got %s\nwant %s", got, want)
	}
}
