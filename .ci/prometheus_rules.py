"""The rule groups of the PrometheusRule objects in a rendered manifest, as a Prometheus rule
file (what promtool checks): python3 prometheus_rules.py RENDERED.yaml OUT.yaml"""

import sys

import yaml

groups = []
with open(sys.argv[1]) as rendered:
    for document in yaml.safe_load_all(rendered):
        if document and document.get("kind") == "PrometheusRule":
            groups.extend(document["spec"]["groups"])
if not groups:
    sys.exit("no PrometheusRule in " + sys.argv[1])
with open(sys.argv[2], "w") as out:
    yaml.safe_dump({"groups": groups}, out, sort_keys=False)
print(f"{sum(len(g['rules']) for g in groups)} rules in {len(groups)} group(s)")
