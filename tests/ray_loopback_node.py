"""`ray start` for a second Ray node on this machine's loopback (127.0.0.1), for tests and trials.

Ray refuses to start a worker node while multi-node clusters are switched off
(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0), and with them switched on it replaces 127.0.0.1 by the
machine's outward address, where a head started on the loopback does not listen. So: run every
Ray process with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (the head, the batch driver and this node's
own workers then keep to 127.0.0.1), and start the second node through this file, which lets
`ray start` pass its multi-node check and keeps the --node-ip-address and --address given.

    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 python tests/ray_loopback_node.py start --block \\
        --address 127.0.0.1:PORT --node-ip-address 127.0.0.1 --num-cpus 1 ...
"""

import sys

from ray._private import ray_constants, services
from ray.scripts.scripts import main

if __name__ == "__main__":
    ray_constants.ENABLE_RAY_CLUSTER = True  # this one process may start a node that joins a head
    services.resolve_ip_for_localhost = lambda host: host  # 127.0.0.1 stays 127.0.0.1
    sys.exit(main())
