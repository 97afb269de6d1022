package main

import (
	"cmp"
	"slices"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/errors"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/stellarpeers/stellar-peers/apis/fn/v1alpha1"
	"github.com/stellarpeers/stellar-peers/internal/peers"
	"github.com/stellarpeers/stellar-peers/internal/stellarcfg"
	"github.com/stellarpeers/stellar-peers/internal/structpath"
)

// member is a validator of the directory that spec.quorum.includeDirectory
// adds to the node's quorum: one whose peer card gives a public key and a
// home domain.
type member struct {
	// card names the peer card, for messages.
	card string
	// name is the VALIDATORS NAME: "<namespace>.<name>". A namespace has no
	// dot, so no two validators get the same name.
	name       string
	namespace  string
	peerName   string
	publicKey  string
	homeDomain string
	// quality is what the card says of its home domain, "" for nothing.
	quality stellarcfg.Quality
	// history is the archive's get command, "" for none.
	history string
}

// directoryMembers requires the peer cards of the node's directory, with the
// very selector the directory requires them by (cardsSelector), and returns
// the validators among them that publish a public key and a home domain,
// never the node itself, sorted by home domain, namespace and name. Requiring
// the cards rather than the XStellarNodes means the node is woken only when a
// card changes, about once per validator lifetime event, and the peers
// ConfigMap's contract stays as it is.
func directoryMembers(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, n *node, dir *structpb.Struct) []member {
	if !n.quorum.includeDirectory || dir == nil {
		return nil
	}
	// The directory's own settings decide which cards it lists; its input's
	// defaults do not bear on that.
	s, _, err := resolveDirectory(dir, &v1alpha1.DirectoryInput{})
	if err != nil {
		warning(rsp, errors.Wrapf(err, "%s: spec.quorum.includeDirectory: cannot read the directory", n.describe))
		return nil
	}
	require(rsp, requirementPeerCards, cardsSelector(s))
	cards, resolved := requiredItems(req, requirementPeerCards)
	if !resolved {
		normalf(rsp, "Waiting for Crossplane to resolve the peer cards of %s for spec.quorum.includeDirectory", peers.Describe(dir))
		return nil
	}
	o := peers.Options{NetworkLabel: s.networkLabel, AnyCustomNetwork: s.anyCustomNetwork, Selector: s.selector}
	var out []member
	var bad []error
	for _, r := range cards {
		m, ok, problem := n.cardMember(r.GetResource(), o)
		if problem != nil {
			bad = append(bad, problem)
		}
		if ok {
			out = append(out, m)
		}
	}
	warnAll(rsp, bad)
	slices.SortFunc(out, func(a, b member) int {
		return cmp.Or(cmp.Compare(a.homeDomain, b.homeDomain), cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.peerName, b.peerName))
	})
	return out
}

// cardMember is the quorum member a peer card makes for node n, ok false when
// the card makes none. problem reports what is wrong with the card: a card
// with a bad key or quality makes no member, one with a bad archive a member
// without it.
func (n *node) cardMember(obj *structpb.Struct, o peers.Options) (m member, ok bool, problem error) {
	p, card, outcome, _ := peers.ExtractCardData(obj, o)
	// An invalid card is the directory's to report, once.
	if outcome != peers.Kept || card.PublicKey == "" || card.HomeDomain == "" {
		return member{}, false, nil
	}
	if (p.Namespace == n.claimNamespace && p.Name == n.claimName) || card.PublicKey == n.publicKey {
		return member{}, false, nil // never the node itself: core counts it already
	}
	m = member{
		card:      structpath.StringOr(obj, "", "metadata", "namespace") + "/" + structpath.StringOr(obj, "", "metadata", "name"),
		name:      p.Namespace + "." + p.Name,
		namespace: p.Namespace, peerName: p.Name,
		publicKey: card.PublicKey, homeDomain: card.HomeDomain,
	}
	cardErr := func(field string, err error) error {
		return errors.Errorf("%s: spec.quorum.includeDirectory: peer card %s: %s: %v", n.describe, m.card, field, err)
	}
	// A card is trusted for membership, but what it says must still be
	// safe to render: a bad key would make core refuse the config, a bad
	// archive could reach a shell.
	if err := stellarcfg.ValidPublicKey(card.PublicKey); err != nil {
		return member{}, false, cardErr("publicKey", errors.Wrap(err, "left out of the quorum"))
	}
	if card.Quality != "" {
		if !validQuality(card.Quality) {
			return member{}, false, cardErr("quality", errors.Errorf("%q is not one of LOW, MEDIUM, HIGH, CRITICAL; left out of the quorum", card.Quality))
		}
		m.quality = stellarcfg.Quality(card.Quality)
	}
	if card.History != "" {
		get, err := stellarcfg.HistoryGet(card.History)
		if err != nil {
			problem = cardErr("history", errors.Wrap(err, "its archive is left out"))
		}
		m.history = get
	}
	return m, true, problem
}

// memberDomains are the home domains of the members, in order, each with the
// lowest quality its validators' cards give, MEDIUM when none gives one: a
// home domain's validators cannot raise its quality on their own word beyond
// what all of them say.
func memberDomains(members []member) []stellarcfg.HomeDomain {
	var out []stellarcfg.HomeDomain
	for _, m := range members {
		if len(out) == 0 || out[len(out)-1].Domain != m.homeDomain {
			out = append(out, stellarcfg.HomeDomain{Domain: m.homeDomain, Quality: m.quality})
			continue
		}
		last := &out[len(out)-1]
		if last.Quality == "" || (m.quality != "" && rankOf(m.quality) < rankOf(last.Quality)) {
			last.Quality = m.quality
		}
	}
	for i := range out {
		out[i].Quality = cmp.Or(out[i].Quality, stellarcfg.QualityMedium)
	}
	return out
}
