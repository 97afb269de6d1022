package coresim

import "time"

// FaultKind selects how a faulty reply misbehaves.
type FaultKind int

// Fault kinds.
const (
	// FaultSlow waits Delay (or until the client gives up), then answers
	// normally.
	FaultSlow FaultKind = iota + 1
	// FaultStatus answers HTTP Status (default 503), as a proxy in front of
	// core would.
	FaultStatus
	// FaultNotFound answers core's 404 page.
	FaultNotFound
	// FaultException answers {"exception": Message} with HTTP 200.
	FaultException
	// FaultReset closes the connection without a reply (TCP reset).
	FaultReset
)

// Fault makes matching requests misbehave.
type Fault struct {
	Kind FaultKind
	// Path limits the fault to one route, e.g. "/peers"; empty means all.
	Path    string
	Delay   time.Duration
	Status  int
	Message string
	// Times is how many requests the fault hits; zero means until
	// ClearFaults.
	Times int
}

// InjectFault adds a fault; the first matching fault wins.
func (n *Node) InjectFault(f Fault) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults = append(n.faults, &f)
}

// ClearFaults removes every fault.
func (n *Node) ClearFaults() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults = nil
}

// takeFault returns the fault for path, counting down limited ones. Callers
// hold mu.
func (n *Node) takeFault(path string) *Fault {
	for i, f := range n.faults {
		if f.Path != "" && f.Path != path {
			continue
		}
		hit := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				n.faults = append(n.faults[:i:i], n.faults[i+1:]...)
			}
		}
		return &hit
	}
	return nil
}
