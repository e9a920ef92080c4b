// Command kubefed-webhook runs KubeFed v0.8.1's admission webhook: the same
// four handlers on the same paths as sigs.k8s.io/kubefed/cmd/webhook (the
// image's /hyperfed/webhook), served by controller-runtime's webhook server
// from --cert-dir (tls.crt, tls.key), for end-to-end tests.
//
// Why not KubeFed's own main: its manager.Options leave Host empty and the
// metrics address at controller-runtime v0.9.1's default ":8080", so it listens
// on every interface and fails when anything else holds port 8080 (a shared
// test machine, or two fleets at once). Here the webhook listens on --host
// (default 127.0.0.1) and the metrics server is off. Nothing else differs: the
// admission decisions are KubeFed's code.
//
// Once the server listens, "KUBEFED_WEBHOOK_READY" is printed on stdout.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/manager/signals"
	ctrwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"sigs.k8s.io/kubefed/pkg/controller/webhook/federatedtypeconfig"
	"sigs.k8s.io/kubefed/pkg/controller/webhook/kubefedcluster"
	"sigs.k8s.io/kubefed/pkg/controller/webhook/kubefedconfig"
)

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server whose webhook this is")
	certDir := flag.String("cert-dir", "", "folder holding tls.crt and tls.key")
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("secure-port", 8443, "port to serve HTTPS on")
	flag.Parse()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("kubefed-webhook: --kubeconfig: %v", err)
	}
	mgr, err := manager.New(config, manager.Options{
		Host:                   *host,
		Port:                   *port,
		CertDir:                *certDir,
		MetricsBindAddress:     "0",
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		klog.Fatalf("kubefed-webhook: setting up the manager: %v", err)
	}
	hookServer := mgr.GetWebhookServer()
	// The paths and handlers of sigs.k8s.io/kubefed/cmd/webhook/app (v0.8.1).
	hookServer.Register("/validate-federatedtypeconfigs", &ctrwebhook.Admission{Handler: &federatedtypeconfig.FederatedTypeConfigAdmissionHook{}})
	hookServer.Register("/validate-kubefedcluster", &ctrwebhook.Admission{Handler: &kubefedcluster.KubeFedClusterAdmissionHook{}})
	hookServer.Register("/validate-kubefedconfig", &ctrwebhook.Admission{Handler: &kubefedconfig.KubeFedConfigValidator{}})
	hookServer.Register("/default-kubefedconfig", &ctrwebhook.Admission{Handler: &kubefedconfig.KubeFedConfigDefaulter{}})

	go func() {
		addr := net.JoinHostPort(*host, strconv.Itoa(*port))
		for i := 0; i < 600; i++ {
			if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
				c.Close()
				fmt.Fprintln(os.Stdout, "KUBEFED_WEBHOOK_READY")
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if err := mgr.Start(signals.SetupSignalHandler()); err != nil {
		klog.Fatalf("kubefed-webhook: %v", err)
	}
}
