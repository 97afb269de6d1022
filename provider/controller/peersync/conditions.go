package peersync

import (
	"fmt"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Ready=False reasons besides the core states.
const (
	ReasonUnreachable xpv2.ConditionReason = "Unreachable"
	ReasonAdminError  xpv2.ConditionReason = "AdminError"
)

// notReady is Ready=False with a reason and message.
func notReady(reason xpv2.ConditionReason, message string) xpv2.Condition {
	return xpv2.Condition{
		Type:               xpv2.TypeReady,
		Status:             corev1.ConditionFalse,
		LastTransitionTime: metav1.Now(),
		Reason:             reason,
		Message:            message,
	}
}

// stateReason turns a core state into a condition reason: "Catching up"
// becomes CatchingUp, "Synced!" becomes Synced.
func stateReason(state string) xpv2.ConditionReason {
	var b strings.Builder
	for _, word := range strings.Fields(state) {
		first := true
		for _, r := range word {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
			if first {
				r = unicode.ToUpper(r)
				first = false
			}
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "Unknown"
	}
	return xpv2.ConditionReason(b.String())
}

func stateMessage(state, want string) string {
	return fmt.Sprintf("stellar-core state is %q, want %q: no peer changes until it is", state, want)
}
