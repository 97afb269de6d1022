package peersync

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/stellarpeers/stellar-peers/apis/core/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/stellarcore"
)

// TypeQuorumHealthy says whether the node's quorum survives one more
// validator failure.
const TypeQuorumHealthy xpv2.ConditionType = "QuorumHealthy"

// QuorumHealthy reasons. While core cannot be asked, or is not Synced!, the
// condition is Unknown with Ready's reason (Booting, CatchingUp, Unreachable,
// ...).
const (
	ReasonFailuresTolerated xpv2.ConditionReason = "FailuresTolerated"
	ReasonQuorumAtRisk      xpv2.ConditionReason = "QuorumAtRisk"
	ReasonQuorumLost        xpv2.ConditionReason = "QuorumLost"
	ReasonNoQuorumInfo      xpv2.ConditionReason = "NoQuorumInfo"
)

const (
	errQuorum        = "cannot read stellar-core /quorum"
	msgNoQuorumInfo  = "stellar-core reports no quorum view with fail_at in /info (no ledger externalized yet, or its quorum set expired)"
	msgQuorumNotRead = "stellar-core's quorum is read only while it is Synced! and in the PeerSync's required state"
)

// quorumCondition sets QuorumHealthy.
func quorumCondition(status corev1.ConditionStatus, reason xpv2.ConditionReason, message string) xpv2.Condition {
	return xpv2.Condition{
		Type:               TypeQuorumHealthy,
		Status:             status,
		LastTransitionTime: metav1.Now(),
		Reason:             reason,
		Message:            message,
	}
}

// quorumUnknown forgets the quorum view: an old one would read as current.
func quorumUnknown(cr *v1alpha1.PeerSync, reason xpv2.ConditionReason, message string) {
	cr.Status.AtProvider.Quorum = nil
	cr.SetConditions(quorumCondition(corev1.ConditionUnknown, reason, message))
}

// observeQuorum reads the quorum view /info returned, and /quorum for the
// names of missing validators only when there are some: a healthy node costs
// no request. Names that cannot be read leave the counts and the condition
// standing; they are not worth failing the peer sync for.
func (e *external) observeQuorum(ctx context.Context, cr *v1alpha1.PeerSync, info stellarcore.Info) {
	// A PeerSync may require another state; the quorum means something only
	// in sync.
	if info.State != stellarcore.StateSynced {
		quorumUnknown(cr, stateReason(info.State), fmt.Sprintf("stellar-core state is %q: %s", info.State, msgQuorumNotRead))
		return
	}
	q := info.Quorum
	if q == nil || !q.KnowsSlot() || q.FailAt == nil {
		quorumUnknown(cr, ReasonNoQuorumInfo, msgNoQuorumInfo)
		return
	}
	obs := quorumObservation(*q)
	var namesErr error
	if q.Missing > 0 {
		detail, err := e.core.Quorum(ctx)
		if err == nil {
			obs.MissingValidators = sortedNames(detail.MissingNodes)
		} else {
			namesErr = err
		}
	}
	cr.Status.AtProvider.Quorum = obs
	cr.SetConditions(quorumHealth(*obs, namesErr))
}

// quorumObservation keeps the slow-changing part of core's view.
func quorumObservation(q stellarcore.Quorum) *v1alpha1.QuorumObservation {
	failAt := int32(*q.FailAt) //nolint:gosec // fail_at is bounded by the quorum set's size.
	return &v1alpha1.QuorumObservation{
		Agreeing:          int32(q.Agree),    //nolint:gosec // Counts are bounded by the quorum set's size.
		Missing:           int32(q.Missing),  //nolint:gosec // As above.
		Delayed:           int32(q.Delayed),  //nolint:gosec // As above.
		Disagreeing:       int32(q.Disagree), //nolint:gosec // As above.
		FailAt:            failAt,
		FailuresTolerated: failAt - 1,
		Hash:              q.Hash,
	}
}

// sortedNames is a sorted copy without duplicates, nil when empty, so status
// does not change with core's order.
func sortedNames(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := slices.Clone(names)
	slices.Sort(out)
	return slices.Compact(out)
}

// quorumHealth classifies core's fail_at: the number of validators that now
// agree and must still fail before the rest block the node
// (BallotProtocol::getJsonQuorumInfo and LocalNode::findClosestVBlocking,
// src/scp/, stellar-core v23.0.1). At 1 the next failure stops the node
// closing ledgers; at 0 it is stopped.
func quorumHealth(q v1alpha1.QuorumObservation, namesErr error) xpv2.Condition {
	detail := quorumDetail(q, namesErr)
	switch {
	case q.FailAt <= 0:
		return quorumCondition(corev1.ConditionFalse, ReasonQuorumLost,
			"the validators that do not agree already block this node's quorum: it cannot close ledgers (fail_at 0)"+detail)
	case q.FailAt == 1:
		return quorumCondition(corev1.ConditionFalse, ReasonQuorumAtRisk,
			"one more validator failure stops this node closing ledgers (fail_at 1)"+detail)
	}
	return quorumCondition(corev1.ConditionTrue, ReasonFailuresTolerated,
		fmt.Sprintf("the quorum holds with up to %d more validator failures (fail_at %d)", q.FailuresTolerated, q.FailAt)+detail)
}

// quorumDetail names what does not agree: "; missing: a, b; 1 delayed".
func quorumDetail(q v1alpha1.QuorumObservation, namesErr error) string {
	var parts []string
	switch {
	case q.Missing > 0 && len(q.MissingValidators) > 0:
		parts = append(parts, "missing: "+strings.Join(q.MissingValidators, ", "))
	case q.Missing > 0 && namesErr != nil:
		parts = append(parts, fmt.Sprintf("%d missing (%s: %v)", q.Missing, errQuorum, namesErr))
	case q.Missing > 0:
		parts = append(parts, fmt.Sprintf("%d missing", q.Missing))
	}
	if q.Delayed > 0 {
		parts = append(parts, fmt.Sprintf("%d delayed", q.Delayed))
	}
	if q.Disagreeing > 0 {
		parts = append(parts, fmt.Sprintf("%d disagreeing", q.Disagreeing))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}
