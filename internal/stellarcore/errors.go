package stellarcore

import (
	"errors"
	"fmt"
	"strings"
)

// BootingError is core's `{"error": "Core is booting, try again later"}` reply,
// sent with HTTP 200 while the node starts.
type BootingError struct {
	Message string
}

func (e *BootingError) Error() string {
	return "stellar-core is booting: " + e.Message
}

// ExceptionError is core's `{"exception": "..."}` reply: a command failed
// although the HTTP status is 200.
type ExceptionError struct {
	Command string
	Message string
}

func (e *ExceptionError) Error() string {
	return fmt.Sprintf("stellar-core %s failed: %s", e.Command, e.Message)
}

// StatusError is an HTTP status other than 200, e.g. 404 for an unknown route
// or a 5xx from a proxy in front of core.
type StatusError struct {
	Command    string
	StatusCode int
	// Body is the start of the reply body, for diagnosis.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("stellar-core %s answered HTTP %d", e.Command, e.StatusCode)
	}
	return fmt.Sprintf("stellar-core %s answered HTTP %d: %s", e.Command, e.StatusCode, e.Body)
}

// UnreachableError is a transport failure: refused, reset, timed out or
// cancelled. Err never carries the request URL, so it cannot leak a query.
type UnreachableError struct {
	Command string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach stellar-core for %s: %v", e.Command, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// UnexpectedReplyError is a body that is none of the shapes core produces.
type UnexpectedReplyError struct {
	Command string
	Body    string
	Err     error
}

func (e *UnexpectedReplyError) Error() string {
	msg := fmt.Sprintf("unexpected stellar-core %s reply %q", e.Command, e.Body)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *UnexpectedReplyError) Unwrap() error { return e.Err }

// IsBooting reports whether err is core's booting reply.
func IsBooting(err error) bool {
	var b *BootingError
	return errors.As(err, &b)
}

// IsUnreachable reports whether err is a transport failure.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// IsException reports whether err is core's exception reply.
func IsException(err error) bool {
	var x *ExceptionError
	return errors.As(err, &x)
}

// snippet shortens a body for error messages: enough to diagnose, never a
// whole reply.
func snippet(body []byte) string {
	const limit = 200
	s := strings.TrimSpace(string(body))
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}
