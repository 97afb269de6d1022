//go:build kind

package kind

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stellarpeers/stellar-peers/test/e2e/harness"
)

// TestNetworkPolicy checks the NetworkPolicy our function composes is enforced by a real CNI
// (kube-router): core's admin port answers the provider's pod and refuses another pod of the provider's namespace,
// another validator and a pod of an unrelated namespace, while the peer port stays open to them. Each probe is the simulated core's image running
// `stellar-core probe`, either as a pod of its own or as an ephemeral container in the pod whose network it tests.
func TestNetworkPolicy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := cp.Apply(ctx, fixtures("np-a", "np-b", "outsider")...); err != nil {
		t.Fatal(err)
	}
	vera, will := node{"np-a", "vera", "Validator"}, node{"np-b", "will", "Validator"}
	for _, n := range []node{vera, will} {
		if err := n.create(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []node{vera, will} {
		if err := waitPodReady(ctx, n.namespace, n.pod()); err != nil {
			t.Fatal(err)
		}
	}
	host, err := vera.host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := fmt.Sprintf("http://%s:%d/info", host, adminPort)
	peer := fmt.Sprintf("tcp://%s:%d", host, peerPort)

	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := providerPod(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	// The provider's pod: admitted to the admin port.
	if out, err := probeFrom(ctx, cs, provider.Namespace, provider.Name, admin); err != nil {
		t.Errorf("the provider's pod %s/%s cannot reach %s: %v", provider.Namespace, provider.Name, admin, err)
	} else {
		t.Logf("from the provider's pod: %s", firstLine(out))
	}
	// Another validator's pod, in another namespace: the peer port is open to it, the admin port is not.
	if _, err := probeFrom(ctx, cs, will.namespace, will.pod(), peer); err != nil {
		t.Errorf("validator %s cannot reach %s: %v", will, peer, err)
	}
	if out, err := probeFrom(ctx, cs, will.namespace, will.pod(), admin); err == nil {
		t.Errorf("validator %s reached %s, which only the provider may: %s", will, admin, firstLine(out))
	}
	// Another pod of the provider's namespace: the policy admits the provider's pods, not its whole namespace.
	if out, err := probePod(ctx, cs, crossplaneNS, admin); err == nil {
		t.Errorf("a pod in %s that is not the provider's reached %s: %s", crossplaneNS, admin, firstLine(out))
	}
	// A pod of a namespace that has nothing to do with Stellar: the admin port refuses it, the peer port does not.
	if out, err := probePod(ctx, cs, "outsider", admin); err == nil {
		t.Errorf("a pod in namespace outsider reached %s: %s", admin, firstLine(out))
	}
	if _, err := probePod(ctx, cs, "outsider", peer); err != nil {
		t.Errorf("a pod in namespace outsider cannot reach the peer port %s: %v", peer, err)
	}
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

// waitPodReady waits for the pod to be Ready.
func waitPodReady(ctx context.Context, namespace, name string) error {
	return harness.Eventually(ctx, within, func(ctx context.Context) (bool, string, error) {
		var p corev1.Pod
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &p); err != nil {
			return false, err.Error(), nil
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("pod %s/%s not ready: %s", namespace, name, p.Status.Phase), nil
	})
}

// providerPod is the running pod of provider-stellar-core, found by the label Crossplane puts on a provider's pods:
// pkg.crossplane.io/provider names the Provider object, which for a dependency is named after the package's
// repository ("stellarpeers-provider-stellar-core" for .../stellarpeers/provider-stellar-core).
func providerPod(ctx context.Context, cs *kubernetes.Clientset) (*corev1.Pod, error) {
	pods, err := cs.CoreV1().Pods(crossplaneNS).List(ctx, metav1.ListOptions{LabelSelector: "pkg.crossplane.io/provider"})
	if err != nil {
		return nil, fmt.Errorf("cannot list the provider's pods: %w", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if strings.HasSuffix(p.Labels["pkg.crossplane.io/provider"], "provider-stellar-core") && p.Status.Phase == corev1.PodRunning {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no running pod of provider-stellar-core in %s (%d found)", crossplaneNS, len(pods.Items))
}

// probeFrom runs `stellar-core probe target` as an ephemeral container of the pod: in the pod's network namespace,
// with the pod's labels, so the NetworkPolicy treats it as the pod itself. It returns the probe's output, and an
// error when the probe failed.
func probeFrom(ctx context.Context, cs *kubernetes.Clientset, namespace, podName, target string) (string, error) {
	pod, err := cs.CoreV1().Pods(namespace).Get(ctx, podName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("cannot get pod %s/%s: %w", namespace, podName, err)
	}
	name := fmt.Sprintf("probe-%d", len(pod.Spec.EphemeralContainers))
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: name, Image: coresimImage, ImagePullPolicy: corev1.PullNever,
			Command: []string{"/usr/local/bin/stellar-core", "probe", target},
		},
	})
	if _, err := cs.CoreV1().Pods(namespace).UpdateEphemeralContainers(ctx, podName, pod, metav1.UpdateOptions{}); err != nil {
		return "", fmt.Errorf("cannot add a probe to %s/%s: %w", namespace, podName, err)
	}
	var exit *corev1.ContainerStateTerminated
	err = harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(namespace).Get(ctx, podName, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == name && s.State.Terminated != nil {
				exit = s.State.Terminated
				return true, "", nil
			}
		}
		return false, "probe " + name + " still running", nil
	})
	if err != nil {
		return "", err
	}
	return result(ctx, cs, namespace, podName, name, exit.ExitCode)
}

// probePod runs `stellar-core probe target` as a pod of its own in the namespace.
func probePod(ctx context.Context, cs *kubernetes.Clientset, namespace, target string) (string, error) {
	nonRoot := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-", Namespace: namespace},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "probe", Image: coresimImage, ImagePullPolicy: corev1.PullNever,
				Command:         []string{"/usr/local/bin/stellar-core", "probe", target},
				SecurityContext: &corev1.SecurityContext{RunAsNonRoot: &nonRoot},
			}},
		},
	}
	created, err := cs.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("cannot create a probe pod in %s: %w", namespace, err)
	}
	var exit int32
	err = harness.Eventually(ctx, time.Minute, func(ctx context.Context) (bool, string, error) {
		p, err := cs.CoreV1().Pods(namespace).Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		for _, s := range p.Status.ContainerStatuses {
			if s.State.Terminated != nil {
				exit = s.State.Terminated.ExitCode
				return true, "", nil
			}
		}
		return false, "probe pod " + created.Name + " still running", nil
	})
	if err != nil {
		return "", err
	}
	return result(ctx, cs, namespace, created.Name, "probe", exit)
}

// result is the probe container's log, with an error when it exited non-zero.
func result(ctx context.Context, cs *kubernetes.Clientset, namespace, pod, container string, exit int32) (string, error) {
	raw, err := cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("cannot read the log of %s/%s %s: %w", namespace, pod, container, err)
	}
	if exit != 0 {
		return string(raw), fmt.Errorf("probe exited %d: %s", exit, strings.TrimSpace(string(raw)))
	}
	return string(raw), nil
}
