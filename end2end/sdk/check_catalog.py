#!/usr/bin/env python3
"""Prove that the real ClearML SDK and clearml-agent work against Atrium's projects, tasks, models, queues, workers
and task events.

Like check_sdk.py, every SDK step runs in its own process with a fresh temporary HOME and a clearml.conf written
there; one JSON object per step is printed: {"step": ..., "ok": true|false, "detail": ...}; exit status 1 if any
step failed.

  check_catalog.py --api URL --access-key K --secret-key S [--files URL] objects
      Task.create, Task.get_tasks, Task.enqueue / Task.dequeue by queue name, APIClient().projects.get_all(),
      APIClient().queues.get_all(), Model.query_models
  check_catalog.py ... init_run
      a script run with Task.init that connects and sets parameters, reports a scalar, uploads an artifact to the
      file server and prints a line, then closes: afterwards the task is completed, its parameters and its events
      are readable through the API and the artifact comes back as it was
  check_catalog.py ... dataset
      Dataset.create with two files, upload, finalize; Dataset.list_datasets finds it and a local copy holds the
      files as they were
  check_catalog.py ... hyper
      Hyper-Datasets and dataviews through APIClient (the SDK's own service definitions): a dataset with two
      versions, one published; get_versions (published ones by default, all on request), get_all, get_by_name; a dataview of a version, archived and back;
      deleting a published version others build on is refused
  check_catalog.py ... agent --agent-key K --agent-secret S [--vault-key KEY --vault-value V]
      a task whose script is stored in the task (no repository) is queued by the key's owner; `clearml-agent daemon
      --queue Q --use-owner-token` with the agent's key pair (a service account that may impersonate) registers as a
      worker, takes the task with queues.get_next_task and runs it as the owner: the script builds an SDK Session
      from the token the agent hands it and prints who it is and the value of KEY (the owner's configuration
      vault); it then exits 3, so the task ends failed, which the agent reports. Bounded in time.

The SDK runs with the Python of the venv `make sdk-venv` makes ($HOME/.cache/atrium/venv), or --python.
This script itself needs only the standard library.
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_sdk  # noqa: E402
from check_sdk import default_python, isolated_env, tail  # noqa: E402

STEP_TIMEOUT_SEC = 180
AGENT_TIMEOUT_SEC = 240


def write_config(home, api, files, key, secret, extra=""):
    web = api[:-4] if api.endswith("/api") else api
    Path(home, "clearml.conf").write_text(
        "api {\n"
        f"  web_server: {web}\n  api_server: {api}\n  files_server: {files or web + '/files'}\n"
        f'  credentials {{ "access_key" = "{key}", "secret_key" = "{secret}" }}\n'
        "}\n" + extra
    )


def call(api, key, secret, name, body):
    """A plain HTTP call with a key pair: the envelope's data, or an exception with the result message."""
    req = urllib.request.Request(
        f"{api}/{name}",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())["data"]
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{name}: HTTP {e.code} {json.loads(e.read())['meta']['result_msg']}")


# --------------------------------------------------------------------------------------------------------------
# Child side: runs inside the SDK's Python, in the isolated HOME.
# --------------------------------------------------------------------------------------------------------------


def child_objects(p):
    from clearml import Model, Task
    from clearml.backend_api.session.client import APIClient

    problems = []
    project = p["project"]
    client = APIClient()
    task = Task.create(project_name=project, task_name="sdk-created")
    if task.get_status() != "created":
        problems.append(f"a new task is {task.get_status()}, not created")
    names = [t.name for t in Task.get_tasks(project_name=project)]
    if names != ["sdk-created"]:
        problems.append(f"Task.get_tasks gave {names}")
    projects = [x.name for x in client.projects.get_all()]
    if project not in projects or project.split("/")[0] not in projects:
        problems.append(f"projects.get_all gave {projects}: the project and its parent must be there")
    queue = f"queue-{uuid.uuid4().hex[:6]}"
    client.queues.create(name=queue)
    Task.enqueue(task, queue_name=queue)
    status_queued = Task.get_task(task_id=task.id).get_status()
    entries = {q.name: [e.task for e in q.entries] for q in client.queues.get_all()}
    if status_queued != "queued":
        problems.append(f"after Task.enqueue the task is {status_queued}")
    if entries.get(queue) != [task.id]:
        problems.append(f"queues.get_all shows {entries.get(queue)} in {queue}")
    Task.dequeue(task)
    status_dequeued = Task.get_task(task_id=task.id).get_status()
    if status_dequeued != "created":
        problems.append(f"after Task.dequeue the task is {status_dequeued}")
    if [q.entries for q in client.queues.get_all(name=f"^{queue}$")] != [[]]:
        problems.append("the queue is not empty after Task.dequeue")
    project_id = client.projects.get_all(name=f"^{project}$")[0].id
    client.models.create(name="sdk-model", uri="s3://models/sdk-model.pt", project=project_id, task=task.id)
    models = [(m.name, m.url) for m in Model.query_models(project_name=project)]
    if models != [("sdk-model", "s3://models/sdk-model.pt")]:
        problems.append(f"Model.query_models gave {models}")
    detail = {"task": task.id, "projects": projects, "queue": queue, "models": models,
              "statuses": [status_queued, status_dequeued]}
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


RUN_SCRIPT = """
from clearml import Task
task = Task.init(project_name=PROJECT, task_name="init-run", auto_connect_frameworks=False,
                 auto_resource_monitoring=False, auto_connect_streams=True)
task.connect({"lr": 0.25, "epochs": 3})
task.set_parameter("Args/batch", 32)
task.get_logger().report_scalar("loss", "train", 0.5, iteration=1)
task.upload_artifact("numbers", artifact_object={"a": 1, "b": [2, 3]})
print("hello from the run")
print("TASK_ID=" + task.id)
task.close()
"""


def child_init_run(p):
    from clearml.backend_api.session.client import APIClient

    script = Path("run.py")
    script.write_text(f"PROJECT = {p['project']!r}\n" + RUN_SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    problems = []
    if proc.returncode != 0:
        problems.append(f"the script exited {proc.returncode}")
    if "Action failed" in out or "Traceback" in out:
        problems.append("the SDK reported a failed call while the script ran")
    task_id = next((line.split("=", 1)[1] for line in out.splitlines() if line.startswith("TASK_ID=")), None)
    detail = {"output": tail(out, 3000)}
    if not task_id:
        problems.append("the script printed no task id")
        detail["problems"] = problems
        return {"ok": False, "detail": detail}
    client = APIClient()
    task = client.tasks.get_by_id(task=task_id)
    status = getattr(task.status, "value", task.status)
    detail["status"] = status
    if status != "completed":
        problems.append(f"the task is {status}, not completed")
    params = client.session.send_request("tasks", "get_hyper_params", json={"tasks": [task_id]}).json()["data"]
    found = {f"{h['section']}/{h['name']}": h["value"] for h in params["params"][0]["hyperparams"]}
    detail["hyperparams"] = found
    for k, v in {"General/lr": "0.25", "General/epochs": "3", "Args/batch": "32"}.items():
        if found.get(k) != v:
            problems.append(f"parameter {k} is {found.get(k)!r}, expected {v!r}")
    from clearml import Task

    artifact = Task.get_task(task_id=task_id).artifacts.get("numbers")
    detail["artifact"] = artifact and artifact.url
    if artifact is None or artifact.get() != {"a": 1, "b": [2, 3]}:
        problems.append("the artifact did not come back from the file server as it was uploaded")
    events = client.session.send_request("events", "get_task_events", json={"task": task_id}).json()["data"]
    kinds = sorted({e["type"] for e in events["events"]})
    logged = " ".join(e.get("msg", "") for e in events["events"] if e["type"] == "log")
    detail["event_types"] = kinds
    if "training_stats_scalar" not in kinds:
        problems.append(f"no scalar event was kept (types {kinds})")
    if "hello from the run" not in logged:
        problems.append("the printed line is not in the task's log events")
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_dataset(p):
    from clearml import Dataset

    problems = []
    folder = Path("data")
    folder.mkdir()
    (folder / "a.txt").write_text("alpha")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.txt").write_text("beta")
    ds = Dataset.create(dataset_name="digits", dataset_project=p["project"])
    ds.add_files(str(folder))
    ds.upload()
    ds.finalize()
    listed = [(d["name"], d["project"]) for d in Dataset.list_datasets(dataset_project=p["project"])]
    if listed != [("digits", p["project"])]:
        problems.append(f"Dataset.list_datasets gave {listed}")
    local = Path(Dataset.get(dataset_project=p["project"], dataset_name="digits").get_local_copy())
    got = {str(f.relative_to(local)): f.read_text() for f in local.rglob("*.txt")}
    if got != {"a.txt": "alpha", "sub/b.txt": "beta"}:
        problems.append(f"the dataset's local copy holds {got}")
    detail = {"dataset": ds.id, "listed": listed, "files": sorted(got)}
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_hyper(p):
    """Hyper-Datasets and dataviews through the SDK's own service definitions (APIClient)."""
    from clearml.backend_api.session.client import APIClient

    client = APIClient()
    problems = []
    name = f"frames-{uuid.uuid4().hex[:6]}"
    ds = client.datasets.create(name=name, comment="street scenes", tags=["cars"])
    v1 = client.datasets.create_version(dataset=ds.id, name="v1")
    v2 = client.datasets.create_version(dataset=ds.id, name="v2", parent=v1.id)
    client.datasets.publish_version(version=v1.id)
    def versions(**kw):
        res = client.datasets.get_versions(dataset=ds.id, **kw)
        return getattr(res, "versions", res)

    published = [v.name for v in versions()]
    if published != ["v1"]:
        problems.append(f"get_versions gave {published}: by default only published versions")
    every = versions(only_published=False)
    names = [v.name for v in every]
    statuses = {v.name: getattr(v.status, "value", v.status) for v in every}
    if names != ["v2", "v1"]:
        problems.append(f"get_versions(only_published=False) gave {names}, expected newest first")
    if statuses.get("v1") != "published" or statuses.get("v2") != "draft":
        problems.append(f"version statuses are {statuses}")
    listed = [(d.name, d.version_count) for d in client.datasets.get_all(name=f"^{name}$")]
    if listed != [(name, 2)]:
        problems.append(f"datasets.get_all gave {listed}")
    by_name = client.datasets.get_by_name(dataset=name)
    if by_name.dataset.id != ds.id:
        problems.append("datasets.get_by_name found another dataset")
    project = client.projects.create(name=f"{p['project']}-views").id
    dv = client.dataviews.create(name="training view", project=project,
                                 versions=[{"dataset": ds.id, "version": v1.id}])
    views = [x.name for x in client.dataviews.get_all(project=[project])]
    if views != ["training view"]:
        problems.append(f"dataviews.get_all gave {views}")
    client.dataviews.archive_many(ids=[dv.id])
    if client.dataviews.get_all(project=[project]):
        problems.append("an archived dataview is still in the default listing")
    client.dataviews.unarchive_many(ids=[dv.id])
    refused = None
    try:
        client.datasets.delete_version(version=v1.id)
    except Exception as ex:
        refused = str(ex)
    if not refused:
        problems.append("a published version that another builds on was deleted")
    detail = {"dataset": ds.id, "versions": names, "statuses": statuses, "dataviews": views,
              "refused": (refused or "")[:300]}
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


CHILD_STEPS = {"objects": child_objects, "init_run": child_init_run, "dataset": child_dataset, "hyper": child_hyper}


# --------------------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------------------


def run_child(args, step, params, home):
    write_config(home, args.api, args.files, args.access_key, args.secret_key)
    return check_sdk.run_child(args, step, params, home, script=__file__)


PROBE = """import sys
sys.path.insert(0, {site!r})
from clearml.backend_api import Session
s = Session()
claims = Session.get_decoded_token(s.token)
print("PROBE user=" + claims["identity"]["user"])
print("PROBE vault=" + str(s.config.get({key!r}, None)))
sys.exit(3)
"""


def stop_agent(agent):
    """Stops a clearml-agent process (killed if it does not stop within 20 s); what it printed."""
    agent.terminate()
    try:
        return agent.communicate(timeout=20)[0].decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        agent.kill()
        return agent.communicate()[0].decode("utf-8", "replace")


def step_agent(args, home):
    """Queue a task as the owner, run clearml-agent with the service account's key pair until the task ends."""
    import site as site_module

    sdk_site = subprocess.run([args.python, "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True).stdout.strip() or site_module.getsitepackages()[0]
    api, key, secret = args.api, args.access_key, args.secret_key
    owner = call(api, key, secret, "users.get_current_user", {})["user"]["id"]
    queue = f"agent-{uuid.uuid4().hex[:6]}"
    queue_id = call(api, key, secret, "queues.create", {"name": queue})["id"]
    script = PROBE.format(site=sdk_site, key=args.vault_key or "sdk.none")
    task_id = call(api, key, secret, "tasks.create", {
        "name": "agent-run", "type": "training",
        "script": {"diff": script, "entry_point": "probe.py", "working_dir": "."},
    })["id"]
    call(api, key, secret, "tasks.enqueue", {"task": task_id, "queue": queue_id})

    agent_home = Path(home) / "agent"
    agent_home.mkdir()
    write_config(agent_home, api, args.files, args.agent_key, args.agent_secret,
                 "agent {\n  package_manager { type: pip }\n"
                 f"  venvs_dir: {agent_home / 'venvs'}\n  vcs_cache {{ enabled: false }}\n}}\n")
    env = isolated_env(agent_home)
    agent = subprocess.Popen(
        [str(Path(args.python).parent / "clearml-agent"), "daemon", "--queue", queue, "--foreground",
         "--use-owner-token"],
        env=env, cwd=agent_home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    problems, workers_seen, task = [], [], {}
    deadline = time.time() + AGENT_TIMEOUT_SEC
    try:
        while time.time() < deadline:
            time.sleep(2)
            workers = call(api, key, secret, "workers.get_all", {})["workers"]
            for w in workers:
                if any(q.get("name") == queue for q in w.get("queues") or []) and w["id"] not in workers_seen:
                    workers_seen.append(w["id"])
            task = call(api, key, secret, "tasks.get_by_id", {"task": task_id})["task"]
            if task["status"] in ("failed", "completed", "stopped"):
                break
            if agent.poll() is not None:
                break
    finally:
        out = stop_agent(agent)
    log = call(api, key, secret, "events.get_task_events", {"task": task_id, "event_type": "log"})["events"]
    printed = "\n".join(e.get("msg", "") for e in log)
    probe = dict(line.split("PROBE ", 1)[1].split("=", 1) for line in printed.splitlines() if "PROBE " in line)
    detail = {"task": task_id, "status": task.get("status"), "status_reason": task.get("status_reason"),
              "last_worker": task.get("last_worker"), "workers_seen": workers_seen, "probe": probe}
    if task.get("status") != "failed":
        problems.append(f"the task is {task.get('status')}, expected failed (its script exits 3)")
    if not workers_seen:
        problems.append("the agent never showed in workers.get_all with the queue")
    if task.get("status_reason") != "worker execution exit code 3":
        problems.append(f"the task's status reason is {task.get('status_reason')!r}: the agent did not report the run's end")
    if task.get("last_worker") and task["last_worker"] not in workers_seen:
        problems.append(f"the task's last_worker {task['last_worker']!r} is not the registered worker")
    if probe.get("user") != owner:
        problems.append(f"the task ran as {probe.get('user')!r}, not as its owner {owner}")
    if args.vault_key and probe.get("vault") != args.vault_value:
        problems.append(f"{args.vault_key} is {probe.get('vault')!r} in the task, expected {args.vault_value!r}")
    if problems:
        detail["problems"] = problems
        detail["agent_output"] = tail(out, 4000)
        detail["task_log"] = tail(printed, 2000)
    return {"ok": not problems, "detail": detail}


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        check_sdk.child_main(*sys.argv[2:], steps=CHILD_STEPS)
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["objects", "init_run", "dataset", "hyper", "agent"])
    p.add_argument("--api", required=True, help="api_server URL")
    p.add_argument("--files", help="files_server URL")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--project", default=f"Catalog {uuid.uuid4().hex[:6]}/sdk", help="project path the steps use")
    p.add_argument("--agent-key", help="agent: the service account's access key")
    p.add_argument("--agent-secret", help="agent: the service account's secret key")
    p.add_argument("--vault-key", help="agent: a configuration key the owner's vault sets")
    p.add_argument("--vault-value", help="agent: the value the task must see for --vault-key")
    p.add_argument("--python", default=default_python(), help="Python with clearml and clearml-agent installed")
    p.add_argument("--timeout", type=int, default=STEP_TIMEOUT_SEC, help="seconds per SDK step")
    args = p.parse_args()
    params = {"project": args.project}
    with tempfile.TemporaryDirectory(prefix="atrium-catalog-") as home:
        if args.step == "agent":
            if not (args.agent_key and args.agent_secret):
                p.error("agent needs --agent-key and --agent-secret")
            result = step_agent(args, home)
        else:
            result = run_child(args, args.step, params, home)
    print(json.dumps({"step": args.step, **result}, default=str), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
