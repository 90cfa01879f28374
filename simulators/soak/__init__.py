"""`assetpulse bench soak`: the whole pipeline under a steady load for N minutes while things break.

A simulated fleet (2,000 devices at 1 reading/s by default, faults injected with ground truth) publishes through
its own Mosquitto into two ingestors sharing a subscription, into its own PostgreSQL cluster; the live detector
opens work orders and the API serves a steady request load.  At about 25 % of the run one ingestor is killed with
SIGKILL and replaced, at 50 % PostgreSQL is restarted, at 75 % the broker.  The report: readings sent vs stored
(they must be equal), work orders opened vs faults injected, API error rate (and what happened while the
database was down), and the memory of every process at the start and the end.

Modules:
    options     SoakOptions: what to run
    schedule    pure: the outage schedule and the device-fault plan (a scenario per publisher shard)
    report      pure: the report arithmetic (equality, ratios, error windows, RSS growth and trend) and its text
    postgres    a PostgreSQL cluster of its own (initdb, pg_ctl), restartable
    broker      a Mosquitto of its own with persistence, restartable on the same port
    processes   the child processes (ingestors, detector, API, load, publishers) and RSS sampling
    setup       the soak database: schema, fleet with assets, models, commissioning history, an API user
    counting    what was stored, which work orders were opened
    publisher   child process: one shard of the fleet (`python -m simulators.soak.publisher`)
    apiload     child process: the steady API load (`python -m simulators.soak.apiload`)
    entry       child process: the `assetpulse` command line (for the detector)
    runner      the run, phase by phase;  cli: `assetpulse bench soak`
"""
