#!/usr/bin/env python3
"""Refresh src/main/resources/crd-schemas/ from the operators' published CRD files.

The validator checks Strimzi, CloudNativePG and prometheus-operator resources against the
openAPIV3Schema of the CRD the operator installs, so a misspelled field in a Kafka or Cluster is
caught like one in a Deployment. Only the kinds deploy/k8s uses are kept, with descriptions dropped
(they are most of the bytes and none of the rules). Usage, with the CRD YAMLs of the operator
versions docs/deploy.md names:

    update-crd-schemas.py strimzi-1.2.0/install/cluster-operator/04*-Crd-*.yaml \
        cnpg-1.30.0.yaml monitoring.coreos.com_servicemonitors.yaml
"""
import json
import os
import sys

import yaml

KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "Cluster", "Database", "ScheduledBackup", "ServiceMonitor"}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src/main/resources/crd-schemas")


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


for path in sys.argv[1:]:
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            kind = spec["names"]["kind"]
            if kind not in KINDS:
                continue
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                name = f"{spec['group']}_{version['name']}_{kind}.json"
                schema = strip(version["schema"]["openAPIV3Schema"])
                with open(os.path.join(OUT, name), "w") as out:
                    json.dump(schema, out, separators=(",", ":"), sort_keys=True)
                print("wrote", name, "from", path)
