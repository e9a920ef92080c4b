// The quickstart fleet in Go: a KubeSphere host, one member joined directly and one through the tower agent.
// The same fleet as examples/quickstart/main.ts; `go run .` (or `cdk8s synth`) writes the same files, byte for byte.
package main

import (
	"github.com/aws/jsii-runtime-go"
	fed "github.com/ksfed/cdk8s-kubesphere-federation-go/cdk8skubespherefederation"
)

// quickstart builds the quickstart federation into app.
func quickstart(app fed.FederationApp) {
	host := fed.NewHost(app, jsii.String("host"), &fed.HostProps{
		Name:     jsii.String("host"),
		Region:   jsii.String("eu-central"),
		Capacity: &fed.ClusterCapacity{Nodes: jsii.Number(3), Cpu: jsii.String("4"), Memory: jsii.String("8Gi")},
	})

	fed.NewMember(app, jsii.String("edge-1"), &fed.MemberProps{
		Host:       host,
		Name:       jsii.String("edge-1"),
		Region:     jsii.String("eu-west"),
		Group:      jsii.String("production"),
		Connection: fed.Connection_Direct(nil),
	})

	fed.NewMember(app, jsii.String("branch-7"), &fed.MemberProps{
		Host:       host,
		Name:       jsii.String("branch-7"),
		Region:     jsii.String("eu-west"),
		Group:      jsii.String("development"),
		Connection: fed.Connection_Agent(nil),
	})
}

func main() {
	app := fed.NewFederationApp(nil)
	quickstart(app)
	app.Synth()
}
