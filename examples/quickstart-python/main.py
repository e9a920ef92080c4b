"""The quickstart fleet in Python: a KubeSphere host, one member joined directly and one through the tower agent.

The same fleet as examples/quickstart/main.ts; `python main.py` (or `cdk8s synth`) writes the same files, byte for byte.
"""
from cdk8s_kubesphere_federation import ClusterCapacity, Connection, FederationApp, Host, Member


def quickstart(app: FederationApp) -> None:
    """Builds the quickstart federation into `app`."""
    host = Host(
        app,
        "host",
        name="host",
        region="eu-central",
        capacity=ClusterCapacity(nodes=3, cpu="4", memory="8Gi"),
    )

    Member(
        app,
        "edge-1",
        host=host,
        name="edge-1",
        region="eu-west",
        group="production",
        connection=Connection.direct(),
    )

    Member(
        app,
        "branch-7",
        host=host,
        name="branch-7",
        region="eu-west",
        group="development",
        connection=Connection.agent(),
    )


if __name__ == "__main__":
    app = FederationApp()
    quickstart(app)
    app.synth()
