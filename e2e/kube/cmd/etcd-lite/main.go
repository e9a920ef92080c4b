// Command etcd-lite runs a single-member etcd server (go.etcd.io/etcd/server/v3
// embedded, the same etcd release that k8s.io/kubernetes pins) for end-to-end
// tests: plain HTTP on loopback, no TLS, no clustering.
//
// A port of 0 in --listen-client-url or --listen-peer-url picks a free port.
// Once the server is ready, the client URL is printed on stdout as
// "ETCD_CLIENT_URL=http://127.0.0.1:PORT" and, with --client-url-file,
// written to that file (written last, so its presence means "ready").
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "etcd-lite.data", "directory for the etcd data (created if missing)")
	clientURL := flag.String("listen-client-url", "http://127.0.0.1:2379", "client URL to listen on and advertise (port 0 picks a free port)")
	peerURL := flag.String("listen-peer-url", "http://127.0.0.1:0", "peer URL (only this member uses it; port 0 picks a free port)")
	urlFile := flag.String("client-url-file", "", "if set, write the client URL to this file once the server is ready")
	name := flag.String("name", "etcd-lite", "member name")
	quota := flag.Int64("quota-backend-bytes", 2<<30, "backend size quota in bytes")
	noFsync := flag.Bool("unsafe-no-fsync", true, "disable fsync (tests only: data may be lost on a crash)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn, error")
	readyTimeout := flag.Duration("ready-timeout", 60*time.Second, "give up if the server is not ready by then")
	flag.Parse()

	// Both ports are picked while the other one is still held, so that the
	// two can never be the same; they are released just before etcd binds them.
	var held []net.Listener
	cu, err := resolve(*clientURL, &held)
	if err != nil {
		log.Fatalf("etcd-lite: --listen-client-url: %v", err)
	}
	pu, err := resolve(*peerURL, &held)
	if err != nil {
		log.Fatalf("etcd-lite: --listen-peer-url: %v", err)
	}
	for _, l := range held {
		l.Close()
	}

	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = fmt.Sprintf("%s=%s", *name, pu.String())
	cfg.QuotaBackendBytes = *quota
	cfg.UnsafeNoFsync = *noFsync
	cfg.LogLevel = *logLevel
	// Keep the history small: compact every 5 minutes.
	cfg.AutoCompactionMode = embed.CompactorModePeriodic
	cfg.AutoCompactionRetention = "5m"

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("etcd-lite: start: %v", err)
	}
	defer e.Close()

	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(*readyTimeout):
		e.Server.Stop()
		log.Fatalf("etcd-lite: not ready after %s", *readyTimeout)
	}

	fmt.Printf("ETCD_CLIENT_URL=%s\n", cu.String())
	if *urlFile != "" {
		tmp := *urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(cu.String()+"\n"), 0o644); err != nil {
			log.Fatalf("etcd-lite: %v", err)
		}
		if err := os.Rename(tmp, *urlFile); err != nil {
			log.Fatalf("etcd-lite: %v", err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		log.Printf("etcd-lite: signal received, stopping")
	case err := <-e.Err():
		log.Fatalf("etcd-lite: %v", err)
	}
}

// resolve parses u and, if its port is 0, replaces it with a free port (etcd
// needs the real port to advertise it); the listener that reserved the port is
// appended to held for the caller to close.
func resolve(raw string, held *[]net.Listener) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, err
	}
	if port != "0" {
		return u, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, err
	}
	addr := l.Addr().(*net.TCPAddr)
	*held = append(*held, l)
	u.Host = net.JoinHostPort(host, fmt.Sprint(addr.Port))
	return u, nil
}
