package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
)

// The local helpers of response.go must answer exactly as the SDK's.

func TestGetInputLikeSDK(t *testing.T) {
	cases := map[string]*structpb.Struct{
		"Directory":    resource.MustStructJSON(directoryInput),
		"UnknownField": resource.MustStructJSON(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput", "bogus": 1}`),
		"WrongType":    resource.MustStructJSON(`{"apiVersion": "fn.stellarpeers.io/v1alpha1", "kind": "DirectoryInput", "nodes": "all"}`),
		"None":         nil,
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Input: input}
			want, got := &v1alpha1.DirectoryInput{}, &v1alpha1.DirectoryInput{}
			wantErr, gotErr := request.GetInput(req, want), getInput(req, got)
			if diff := cmp.Diff(errString(wantErr), errString(gotErr)); diff != "" {
				t.Errorf("getInput(...): -request.GetInput, +getInput error:\n%s", diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("getInput(...): -request.GetInput, +getInput:\n%s", diff)
			}
		})
	}
}

// errString is err's message with the JSON decoder's wording normalised: it
// words the same error "cannot" or "unable to" at random, so that nobody
// matches its messages.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "json: unable to", "json: cannot")
}

func TestResponseLikeSDK(t *testing.T) {
	req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "t"}, Desired: &fnv1.State{}, Context: resource.MustStructJSON(`{"k": "v"}`)}
	held := "held"
	want := response.To(req, response.DefaultTTL)
	response.Fatal(want, errors.New("f"))
	response.Warning(want, errors.New("w"))
	response.Normalf(want, "n %d", 1)
	response.ConditionTrue(want, "C", "R").WithMessage(held)
	response.ConditionFalse(want, "D", "S")
	got := responseTo(req)
	fatal(got, errors.New("f"))
	warning(got, errors.New("w"))
	normalf(got, "n %d", 1)
	setCondition(got, "C", fnv1.Status_STATUS_CONDITION_TRUE, "R", &held)
	setCondition(got, "D", fnv1.Status_STATUS_CONDITION_FALSE, "S", nil)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("-SDK, +local:\n%s", diff)
	}
}
