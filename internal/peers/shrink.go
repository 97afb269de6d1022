package peers

import "fmt"

// DefaultMaxShrinkPercent is how much a directory may shrink in one step.
const DefaultMaxShrinkPercent = 50

// CheckShrink decides whether publishing next peers in place of previous ones
// shrinks the directory too far: by more than maxPercent in one step, or to
// zero from non-zero. It returns a non-empty reason when the write must be
// held. allow lets one large shrink through.
func CheckShrink(previous, next, maxPercent int, allow bool) string {
	if allow || next >= previous {
		return ""
	}
	if next == 0 {
		return fmt.Sprintf("refusing to shrink the directory from %d peers to none; set allowShrink to let it through", previous)
	}
	// Integer arithmetic: removed/previous > maxPercent/100, without rounding.
	removed := previous - next
	if removed*100 > maxPercent*previous {
		return fmt.Sprintf("refusing to shrink the directory from %d to %d peers (%d%%, more than maxShrinkPercent %d%%) in one step; set allowShrink to let it through",
			previous, next, removed*100/previous, maxPercent)
	}
	return ""
}
