"""Regenerates ``jsonpath_cases.json``: the conformance inputs and cases, with kubectl's recorded answers.

Run by hand (not a test) when cases are added: ``/work/venv/bin/python tests/conformance/jsonpath_record.py``.
Every input is one object (kind Blob) whose data sits under ``.d``; ``kubectl label --local -f FILE tmp-``
prints it unchanged through ``-o jsonpath``. (A top-level ``items`` would make kubectl treat it as a List
and apply the template per item, so data never sits at the root.) Cases ported from client-go's
util/jsonpath tests keep their names, with paths re-rooted under ``.d``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from jsonpath_oracle import kubectl_jsonpath

HERE = Path(__file__).parent
DATA = HERE / "jsonpath_cases.json"


def wrap(data: object) -> dict[str, object]:
    return {"apiVersion": "kpy.test/v1", "kind": "Blob", "metadata": {"name": "x", "labels": {}}, "d": data}


def pod(
    name: str, phase: str, containers: list[str], labels: dict[str, str], node: str, restarts: int
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": labels,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": c,
                    "image": f"registry.k8s.io/{c}:1.0",
                    "ports": [{"containerPort": 80 + i, "protocol": "TCP"}],
                    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                }
                for i, c in enumerate(containers)
            ],
        },
        "status": {
            "phase": phase,
            "podIP": f"10.0.0.{len(name) + restarts}",
            "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}],
            "containerStatuses": [
                {
                    "name": c,
                    "ready": phase == "Running",
                    "restartCount": restarts + i,
                    "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}},
                }
                for i, c in enumerate(containers)
            ],
        },
    }


INPUTS: dict[str, object] = {
    "types": {
        "bools": [True, False, True, False],
        "integers": [1, 2, 3, 4],
        "floats": [1.0, 2.2, 3.3, 4.0],
        "strings": ["one", "two", "three", "four"],
        "interfaces": [True, "one", 1, 1.1],
        "maps": [
            {"name": "one", "value": 1},
            {"name": "two", "value": 2.02},
            {"name": "three", "value": 3.03},
            {"name": "four", "value": 4.04},
        ],
    },
    "store": {
        "Name": "jsonpath",
        "Book": [
            {
                "Category": "reference",
                "Author": "Nigel Rees",
                "Title": "Sayings of the Centurey",
                "Price": 8.95,
            },
            {"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour", "Price": 12.99},
            {"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99},
        ],
        "Bicycle": [
            {"Color": "red", "Price": 19.95, "IsNew": True},
            {"Color": "green", "Price": 20.01, "IsNew": False},
        ],
        "Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
        "Employees": {"jason": "manager", "dan": "clerk"},
        "ints": [0, 1, 2, 3, 4],
        "small": [2, 6, 3, 7],
        "days": ["Monday", "Tudesday"],
    },
    "points": [
        {"id": "i1", "x": 4, "y": -5},
        {"id": "i2", "x": -2, "y": -5, "z": 1},
        {"id": "i3", "x": 8, "y": 3},
        {"id": "i4", "x": -6, "y": -1},
        {"id": "i5", "x": 0, "y": 2, "z": 1},
        {"id": "i6", "x": 1, "y": 4},
    ],
    "nodes": {
        "kind": "List",
        "items": [
            {
                "kind": "None",
                "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
                "status": {
                    "capacity": {"cpu": "4"},
                    "ready": True,
                    "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}],
                },
            },
            {
                "kind": "None",
                "metadata": {"name": "127.0.0.2", "labels": {"kubernetes.io/hostname": "127.0.0.2"}},
                "status": {
                    "capacity": {"cpu": "8"},
                    "ready": False,
                    "addresses": [
                        {"type": "LegacyHostIP", "address": "127.0.0.2"},
                        {"type": "another", "address": "127.0.0.3"},
                    ],
                },
            },
        ],
        "users": [
            {"name": "myself", "user": {}},
            {"name": "e2e", "user": {"username": "admin", "password": "secret"}},
        ],
    },
    "empty": {"items": []},
    "nested": {
        "items": [
            {
                "metadata": {"name": "pod1"},
                "spec": {
                    "containers": [
                        {"name": "foo", "another": [{"name": "value1"}, {"name": "value2"}]},
                        {"name": "bar", "another": [{"name": "value1"}, {"name": "value2"}]},
                    ]
                },
            },
            {
                "metadata": {"name": "pod2"},
                "spec": {
                    "containers": [{"name": "baz", "another": [{"name": "value1"}, {"name": "value2"}]}]
                },
            },
        ]
    },
    "annotations": {
        "kind": "List",
        "items": [
            {"kind": "Pod", "metadata": {"name": "pod1", "annotations": {"color": "blue"}}},
            {"kind": "Pod", "metadata": {"name": "pod2"}},
            {"kind": "Pod", "metadata": {"name": "pod3", "annotations": {"color": "green"}}},
            {"kind": "Pod", "metadata": {"name": "pod4", "annotations": {"color": "blue"}}},
        ],
    },
    "six": {
        "spec": {"containers": [{"image": "radial/busyboxplus:curl", "name": f"fake{i}"} for i in range(6)]}
    },
    "four": {
        "spec": {"containers": [{"image": "radial/busyboxplus:curl", "name": f"fake{i}"} for i in range(4)]}
    },
    "edge": {
        "l": [None, 1, "s", {"a": None}, []],
        "e": [],
        "m": {},
        "f": 2.0,
        "g": 0.000001,
        "h": 1e-7,
        "big": 1234567.0,
        "huge": 1e21,
        "neg": -0.5,
        "s": 'a"<b>&\u2028',
        "u": "h\u00e9llo \u4e16",
        "n": 12345678901,
        "t": True,
        "one": {"k": "v"},
    },
    "pods": {
        "apiVersion": "v1",
        "kind": "PodList",
        "metadata": {"resourceVersion": "7"},
        "items": [
            pod(
                "web-1",
                "Running",
                ["nginx", "sidecar"],
                {"app": "web", "app.kubernetes.io/name": "web", "kubernetes.io/arch": "amd64"},
                "node-a",
                0,
            ),
            pod("web-2", "Pending", ["nginx"], {"app": "web", "tier": "frontend"}, "node-b", 3),
            pod("db-0", "Failed", ["postgres", "exporter", "backup"], {"app": "db"}, "node-a", 12),
        ],
    },
    "nodelist": {
        "apiVersion": "v1",
        "kind": "NodeList",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": n,
                    "labels": {
                        "kubernetes.io/hostname": n,
                        "node-role.kubernetes.io/control-plane": "",
                        "topology.kubernetes.io/zone": z,
                    },
                },
                "spec": {
                    "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
                    if cp
                    else []
                },
                "status": {
                    "capacity": {"cpu": c, "memory": "16Gi", "pods": "110"},
                    "allocatable": {"cpu": c, "memory": "15Gi"},
                    "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": n}],
                    "conditions": [
                        {"type": "Ready", "status": r},
                        {"type": "DiskPressure", "status": "False"},
                    ],
                    "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "Ubuntu 24.04"},
                },
            }
            for n, z, c, ip, r, cp in [
                ("cp-1", "eu-1a", "4", "10.1.0.1", "True", True),
                ("worker-1", "eu-1b", "8", "10.1.0.2", "True", False),
                ("worker-2", "eu-1b", "8", "10.1.0.3", "Unknown", False),
            ]
        ],
    },
    "services": {
        "apiVersion": "v1",
        "kind": "ServiceList",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "web",
                    "namespace": "default",
                    "labels": {"app.kubernetes.io/part-of": "shop"},
                },
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": "10.96.0.10",
                    "selector": {"app": "web"},
                    "ports": [
                        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                        {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                    ],
                },
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "lb", "namespace": "prod"},
                "spec": {
                    "type": "LoadBalancer",
                    "clusterIP": "10.96.0.11",
                    "ports": [{"port": 8080, "nodePort": 30080}],
                },
                "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}},
            },
        ],
    },
}

# (name, input, template, allow_missing_keys, unordered)
CASES: list[tuple[str, str, str, bool, bool]] = []


def case(name: str, inp: str, template: str, allow: bool = True, unordered: bool = False) -> None:
    CASES.append((name, inp, template, allow, unordered))


# --- client-go TestTypesInput (allowMissingKeys false) ---
for kind in ("bools", "integers", "floats", "strings", "interfaces", "maps"):
    for suffix in ("", "[0]", "[-1]", "[-2]", "[0:2]", "[:2]", "[:4:2]", "[::2]", "[1::2]"):
        case(f"types {kind}{suffix}", "types", "{ .d." + kind + suffix + " }", allow=False)
# --- client-go TestStructInput (as JSON) ---
case("plain", "store", "hello jsonpath")
case("recursive", "store", "{.d.ints..}")
case("filter", "store", "{.d.small[?(@<5)]}")
case("quote", "store", '{"{"}')
case("union", "store", "{.d.ints[1,3,4]}")
case("array", "store", "{.d.days[0:2]}")
case("variable", "store", "hello {.d.Name}", allow=False)
case("dict/", "store", "{$.d.Labels.web/html}", allow=False)
case("dict/ employees", "store", "{$.d.Employees.jason}", allow=False)
case("dict/ employees dan", "store", "{$.d.Employees.dan}", allow=False)
case("dict-", "store", "{.d.Labels.k8s-app}", allow=False)
case("nest", "store", "{.d.Bicycle[*].Color}", allow=False)
case("allarray", "store", "{.d.Book[*].Author}", allow=False)
case("allfields", "store", '{range .d.Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}', unordered=True)
case("recurfields", "store", "{..Price}", allow=False, unordered=True)
case("recurdotfields", "store", "{...Price}", allow=False, unordered=True)
case("superrecurfields", "store", "{............................................................Price}")
case("allstructsSlice", "store", "{.d.Bicycle}")
case("allstructs", "store", '{range .d.Bicycle[*]}{ @ }{ " " }{end}')
case("lastarray", "store", "{.d.Book[-1:]}")
case("recurarray", "store", "{..Book[2]}")
case("bool", "store", "{.d.Bicycle[?(@.IsNew==true)]}")
case("nonexistent field allowed", "store", "{.hello}")
case("invalid identifier", "store", "{hello}")
case("nonexistent field", "store", "{.hello}", allow=False)
case("invalid array", "store", "{.d.Labels[0]}")
case("invalid filter operator", "store", "{.d.Book[?(@.Price<>10)]}")
case("redundant end", "store", "{range .d.Labels.*}{@}{end}{end}")
# --- TestJSONInput ---
case("exists filter", "points", "{.d[?(@.z)].id}", allow=False)
case("bracket key", "points", "{.d[0]['id']}", allow=False)
# --- TestKubernetes ---
case("range item", "nodes", "{range .d.items[*]}{.metadata.name}, {end}{.d.kind}", allow=False)
case("range item with quote", "nodes", '{range .d.items[*]}{.metadata.name}{"\\t"}{end}', allow=False)
case("range addresss", "nodes", "{.d.items[*].status.addresses[*].address}", allow=False)
case(
    "double range",
    "nodes",
    "{range .d.items[*]}{range .status.addresses[*]}{.address}, {end}{end}",
    allow=False,
)
case("item name", "nodes", "{.d.items[*].metadata.name}", allow=False)
case("union nodes capacity", "nodes", "{.d.items[*]['metadata.name', 'status.capacity']}", allow=False)
case(
    "range nodes capacity",
    "nodes",
    "{range .d.items[*]}[{.metadata.name}, {.status.capacity}] {end}",
    allow=False,
)
case("user password", "nodes", '{.d.users[?(@.name=="e2e")].user.password}', allow=False)
case("hostname", "nodes", "{.d.items[0].metadata.labels.kubernetes\\.io/hostname}", allow=False)
case(
    "hostname filter",
    "nodes",
    '{.d.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.1")].kind}',
    allow=False,
)
case("bool item", "nodes", "{.d.items[?(@..ready==true)].metadata.name}", allow=False)
case("recursive name", "nodes", "{..name}", unordered=True)
# --- TestEmptyRange / TestNestedRanges ---
case("empty range", "empty", "{range .d.items[*]}{.metadata.name}{end}")
case(
    "empty nested range",
    "empty",
    '{range .d.items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}',
)
case(
    "nested range with a trailing newline",
    "nested",
    '{range .d.items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}',
    allow=False,
)
case(
    "nested range within nested range",
    "nested",
    '{range .d.items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}{range @.another[*]}'
    '{.name}{","}{end}{"+"}{end}{"#"}{end}',
    allow=False,
)
case(
    "two nested ranges at the same level",
    "nested",
    '{range .d.items[*]}{.metadata.name}{"\\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\\t"}'
    '{range @.spec.containers[*]}{.name}{" "}{end}{"\\n"}{end}',
    allow=False,
)
# --- TestFilterPartialMatchesSometimesMissingAnnotations ---
case(
    "filter partial, tolerate missing",
    "annotations",
    '{.d.items[?(@.metadata.annotations.color=="blue")].metadata.name}',
)
case(
    "filter partial, error on missing",
    "annotations",
    '{.d.items[?(@.metadata.annotations.color=="blue")].metadata.name}',
    allow=False,
)
# --- TestNegativeIndex / TestStep ---
for sl in (
    "0",
    "0:0",
    "0:-1",
    "-1:0",
    "-1",
    "-1:",
    "-2",
    "-2:",
    "-3",
    "-4",
    "-4:",
    "-5",
    "5:5",
    "-5:-5",
    "3:1",
    "-1:-2",
):
    case(f"negative index [{sl}]", "four", "{.d.spec.containers[" + sl + "].name}", allow=False)
for sl in (
    "0:",
    "0:6:",
    "0:6:1",
    "0:6:0",
    "0:6:-1",
    "1:4:2",
    "1:4:3",
    "1:4:4",
    "0:6:2",
    "0:6:3",
    "0:6:5",
    "0:6:6",
):
    case(f"step [{sl}]", "six", "{.d.spec.containers[" + sl + "].name}", allow=False)
# --- client-go parser_test.go error cases (parse errors) ---
for name, template in [
    ("unclosed action", "{.apiVersion"),
    ("unrecognized character", "{*}"),
    ("invalid number", "{+12.3.0}"),
    ("unterminated array", "{[1}"),
    ("unterminated array 2", "{.a[}"),
    ("unterminated filter", "{[?(.price]}"),
    ("invalid multiple recursive descent", "{........}"),
    ("invalid array index", "{[a]}"),
    ("invalid union", "{[0,a]}"),
    ("unclosed filter", "{.a[?(@.b)x}"),
    ("unterminated quote", '{"abc}'),
    ("bad escape", '{"\\q"}'),
    ("tab in action", "{.a\t}"),
    ("newline in action", "{.a\n}"),
    ("left brace in action", "{.a{}"),
    ("filter missing operand", "{.a[?(@.x==)]}"),
]:
    case(f"parse error: {name}", "edge", template)
# --- parser features on the edge object ---
for name, template in [
    ("nil element", "{.d.l[0]}"),
    ("nil in list", "{.d.l[*]}"),
    ("nil field", "{.d.l[*].a}"),
    ("range over nil", "{range .d.l[*]}[{@}]{end}"),
    ("range field of nil", "{range .d.l[*]}[{.a}]{end}"),
    ("index nil", "{.d.l[0][0]}"),
    ("filter nil", "{.d.l[0][?(@.x)]}"),
    ("filter map", "{.d.m[?(@.x)]}"),
    ("filter string", "{.d.l[2][?(@.x)]}"),
    ("compare nil", "{.d.l[?(@.a==1)]}"),
    ("index string", "{.d.s[0]}"),
    ("floats", "{.d.f} {.d.g} {.d.h} {.d.big} {.d.huge} {.d.neg}"),
    ("floats as json", "{.d}"),
    ("strings", "{.d.s}|{.d.u}"),
    ("literals", "{5} {1.0} {-3} {+4} {true} {false} {\"x\"} {'y'}"),
    ("escapes", '{"\\t\\n\\\\\\"\\x41\\u00e9\\101"}'),
    ("single quote escape", "{'it\\'s'}"),
    ("empty range then text", "{range .d.e[*]}x{end}A"),
    ("range without end", "{range .d.l}{@}"),
    ("end outside range", "{end}"),
    ("empty list and map", "{.d.e}{.d.m}"),
    ("exists nil field", "{.d.l[?(@.a)]}"),
    ("wildcard over string", "{.d.s.*}"),
    ("recursive over string", "{.d.u..}"),
    ("root", "{@}"),
    ("dollar", "{$}"),
    ("empty action", "{}"),
    ("only text", "plain text } with brace"),
    ("empty field", "{.}"),
    ("dict key dotted", "{.d['one']['k']}"),
    ("dict key with dot re-parsed", "{['d.one.k']}"),
    ("union keys", "{.d.one['k','x']}"),
    ("union indexes", "{.d.l[1,2]}"),
    ("union out of range", "{.d.l[1,9]}"),
    ("empty brackets", "{.d.l[]}"),
    ("star brackets on map", "{.d.one[*]}"),
    ("wildcard map", "{.d.one.*}"),
    ("int comparison", "{.d.l[?(@==1)]}"),
    ("string comparison", '{.d.l[?(@=="s")]}'),
    ("int vs float", "{.d.l[?(@==1.0)]}"),
    ("bool ordering", "{.d.l[?(@<true)]}"),
    ("big int", "{.d.n}"),
    ("number literal overflow", "{99999999999999999999}"),
    ("identifier", "{foo}"),
    ("range keyword mid-path", "{.d range}"),
    ("space separated", "{ .d.one.k }"),
    ("filter on map values", '{.d.one[?(@=="v")]}'),
    ("comparison lt strings", '{.d.l[?(@<"z")]}'),
    ("recursive filter", "{..[?(@.a)]}"),
    ("text after end", "{range .d.l[1:3]}<{@}>{end}|{.d.t}"),
    ("nested range no outer end", "{range .d.l[1:3]}{range .d.e}{end}x"),
]:
    case(f"edge: {name}", "edge", template, unordered="recursive filter" in name)
case("edge strict: missing", "edge", "{.d.nope}", allow=False)
case("edge strict: missing after range", "edge", "{range .d.e[*]}{.a}{end}", allow=False)
# --- real-looking objects ---
for name, template in [
    ("pod names", "{.d.items[*].metadata.name}"),
    ("bench template", '{range .d.items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'),
    (
        "container images per pod",
        '{range .d.items[*]}{.metadata.name}:{range .spec.containers[*]} {.image}{end}{"\\n"}{end}',
    ),
    ("dotted label", "{.d.items[*].metadata.labels.app\\.kubernetes\\.io/name}"),
    ("slashed label bracket", "{.d.items[0].metadata.labels['kubernetes\\.io/arch']}"),
    ("labels map", "{.d.items[1].metadata.labels}"),
    ("running pods", '{.d.items[?(@.status.phase=="Running")].metadata.name}'),
    ("restart counts", "{.d.items[*].status.containerStatuses[*].restartCount}"),
    ("restarts > 2", "{.d.items[*].status.containerStatuses[?(@.restartCount>2)].name}"),
    (
        "restarts >= 3 <= 12",
        "{.d.items[*].status.containerStatuses[?(@.restartCount>=3)].name} "
        "{.d.items[*].status.containerStatuses[?(@.restartCount<=12)].name}",
    ),
    (
        "ready condition",
        '{range .d.items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status};{end}',
    ),
    ("recursive containerPort", "{..containerPort}"),
    ("last container", "{.d.items[*].spec.containers[-1:].name}"),
    (
        "annotation with dots",
        "{.d.items[0].metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}",
    ),
    ("limits", "{.d.items[0].spec.containers[0].resources.limits}"),
    ("running state", "{.d.items[0].status.containerStatuses[0].state}"),
]:
    case(f"pods: {name}", "pods", template)
for name, template in [
    (
        "internal ips",
        '{range .d.items[*]}{.metadata.name}{"\\t"}{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}',
    ),
    ("control plane label", "{.d.items[*].metadata.labels.node-role\\.kubernetes\\.io/control-plane}"),
    ("zones", "{.d.items[*].metadata.labels.topology\\.kubernetes\\.io/zone}"),
    ("taints", "{.d.items[*].spec.taints}"),
    ("capacity", "{.d.items[0].status.capacity}"),
    ("not ready", '{.d.items[?(@.status.conditions[0].status!="True")].metadata.name}'),
    ("kubelet versions", "{.d.items[*].status.nodeInfo.kubeletVersion}"),
]:
    case(f"nodes: {name}", "nodelist", template)
for name, template in [
    (
        "ports",
        '{range .d.items[*]}{.metadata.name}:{range .spec.ports[*]}{.port}/{.targetPort} {end}{"\\n"}{end}',
    ),
    ("lb ingress", "{.d.items[*].status.loadBalancer.ingress[0].ip}"),
    ("node ports", "{..nodePort}"),
    ("selector", "{.d.items[0].spec.selector}"),
    ("typed filter", '{.d.items[?(@.spec.type=="LoadBalancer")].metadata.namespace}'),
    ("port > 100", "{.d.items[*].spec.ports[?(@.port>100)].name}"),
]:
    case(f"services: {name}", "services", template)


def main() -> None:
    existing = {c["name"]: c for c in json.loads(DATA.read_text())["cases"]} if DATA.exists() else {}
    inputs = {name: wrap(data) for name, data in INPUTS.items()}
    cases = []
    names = set()
    for name, inp, template, allow, unordered in CASES:
        assert name not in names, name
        names.add(name)
        rc, out, err = kubectl_jsonpath(inputs[inp], template, allow)
        entry = {
            "name": name,
            "input": inp,
            "template": template,
            "allow_missing_keys": allow,
            "unordered": unordered,
            "rc": rc,
            "stdout": out,
            "stderr": err,
        }
        if name in existing and existing[name].get("regression"):
            entry["regression"] = True
        cases.append(entry)
    for name, old in existing.items():  # keep fuzz regressions that are not in CASES
        if name not in names and old.get("regression"):
            cases.append(old)
    DATA.write_text(json.dumps({"inputs": inputs, "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(cases)} cases")


if __name__ == "__main__":
    main()
