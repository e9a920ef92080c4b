package com.example.quickstart;

import io.github.ksfed.cdk8s.kubesphere.federation.ClusterCapacity;
import io.github.ksfed.cdk8s.kubesphere.federation.Connection;
import io.github.ksfed.cdk8s.kubesphere.federation.FederationApp;
import io.github.ksfed.cdk8s.kubesphere.federation.Host;
import io.github.ksfed.cdk8s.kubesphere.federation.Member;

/** The quickstart fleet: a KubeSphere host, one member joined directly and one through the tower agent. */
public final class Main {
    private Main() {
    }

    /** Builds the quickstart federation into {@code app}. */
    public static void quickstart(final FederationApp app) {
        Host host = Host.Builder.create(app, "host")
                .name("host")
                .region("eu-central")
                .capacity(ClusterCapacity.builder().nodes(3).cpu("4").memory("8Gi").build())
                .build();

        Member.Builder.create(app, "edge-1")
                .host(host)
                .name("edge-1")
                .region("eu-west")
                .group("production")
                .connection(Connection.direct())
                .build();

        Member.Builder.create(app, "branch-7")
                .host(host)
                .name("branch-7")
                .region("eu-west")
                .group("development")
                .connection(Connection.agent())
                .build();
    }

    public static void main(final String[] args) {
        FederationApp app = new FederationApp();
        quickstart(app);
        app.synth();
    }
}
