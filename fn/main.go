// Package main implements function-stellar-peers, the Composition Function
// that publishes Stellar validators as a peer directory and composes each
// validator's peer configuration.
package main

import (
	"github.com/alecthomas/kong"
	"google.golang.org/grpc/encoding"

	function "github.com/crossplane/function-sdk-go"
)

// CLI of this Function.
type CLI struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network     string `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address     string `default:":9443" help:"Address at which to listen for gRPC connections."`
	TLSCertsDir string `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)." name:"tls-server-certs-dir"`
	Insecure    bool   `help:"Run without mTLS credentials. If you supply this flag --tls-server-certs-dir will be ignored."`
	// 10,000 XStellarNodes of about 2.6 KB each arrive in one request; the
	// gRPC default of 4 MiB would refuse it.
	MaxRecvMessageSize int `default:"64" help:"Maximum size of received messages in MiB."`
	// The SDK's default metrics port 8080 clashes with Crossplane's own when run beside it.
	MetricsAddress string `default:":9091" help:"Address at which to serve Prometheus metrics; empty disables them."`
}

// Run this Function.
func (c *CLI) Run() error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	// Decode the node objects of a directory request partially: see codec.go.
	encoding.RegisterCodecV2(requestCodec{})
	return function.Serve(&Function{log: log},
		function.Listen(c.Network, c.Address),
		function.MTLSCertificates(c.TLSCertsDir),
		function.Insecure(c.Insecure),
		function.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		function.WithMetricsServer(c.MetricsAddress))
}

func main() {
	ctx := kong.Parse(&CLI{}, kong.Description("function-stellar-peers: declarative peer discovery for Stellar validators."))
	ctx.FatalIfErrorf(ctx.Run())
}
