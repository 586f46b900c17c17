#!/usr/bin/env python3
"""Prove that resource configuration admits tasks the real ClearML SDK enqueues, that a real clearml-agent listening
on a pool's queue runs them, and that a task's end frees its resources for the next one.

  check_resources.py --api URL --access-key K --secret-key S --admin-key AK --admin-secret AS
                     --agent-key GK --agent-secret GS allocate
      The administrator (AK) puts the owner (K) in a new group and provisions a pool of 1 resource, a profile taking
      1 linked to it, and a policy of that group (limit 1) with one queue, then turns resource management on. Two
      tasks of the owner, whose stored scripts exit 3, are enqueued into the policy's queue with the SDK's
      Task.enqueue: the first is admitted onto the pool's queue, the second waits at the policy's limit.
      `clearml-agent daemon --queue <pool> --use-owner-token` with a service account's key pair runs the first; it
      fails, which frees the pool, and the second is admitted and run in turn. Bounded in time.

  check_resources.py --api URL --access-key K --secret-key S enqueue --tasks T1,T2,... --queue NAME
      The key's owner enqueues the tasks, in order, into the queue named NAME with the SDK's Task.enqueue; each
      must then be queued.

One JSON object is printed: {"step": ..., "ok": true|false, "detail": ...}; exit status 1 if the step failed.
The SDK runs with the Python of the venv `make sdk-venv` makes ($HOME/.cache/atrium/venv), or --python.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_sdk  # noqa: E402
from check_catalog import PROBE, call, stop_agent, write_config  # noqa: E402
from check_sdk import default_python, isolated_env, tail  # noqa: E402

AGENT_TIMEOUT_SEC = 420


def child_enqueue(p):
    """In the owner's SDK: Task.enqueue each task into the policy's queue, by name."""
    from clearml import Task

    statuses = []
    for task_id in p["tasks"]:
        task = Task.get_task(task_id=task_id)
        Task.enqueue(task, queue_name=p["queue"])
        statuses.append(Task.get_task(task_id=task_id).get_status())
    return {"ok": statuses == ["queued"] * len(p["tasks"]), "detail": {"statuses": statuses}}


CHILD_STEPS = {"enqueue": child_enqueue}


def configuration(suffix, group):
    return {
        "pools": [{"id": f"pool-{suffix}", "name": f"pool-{suffix}", "capacity": 100, "description": "",
                   "priority": [f"one-{suffix}"]}],
        "profiles": [{"id": f"one-{suffix}", "name": f"1xGPU {suffix}", "allotment": 100,
                      "links": [{"name": "only", "pool": f"pool-{suffix}"}], "policy_priority": [f"team-{suffix}"]}],
        "policies": [{"id": f"team-{suffix}", "name": f"Team {suffix}", "group": group, "reservation": 0,
                      "limit": 100, "description": "",
                      "queues": [{"id": f"q-{suffix}", "name": f"team-{suffix}", "profile": f"one-{suffix}"}]}],
    }


def step_allocate(args, home):
    import site as site_module

    api = args.api
    owner_call = lambda name, body: call(api, args.access_key, args.secret_key, name, body)  # noqa: E731
    admin_call = lambda name, body: call(api, args.admin_key, args.admin_secret, name, body)  # noqa: E731
    problems, detail = [], {}
    suffix = uuid.uuid4().hex[:6]
    owner = owner_call("users.get_current_user", {})["user"]["id"]
    admin_call("groups.create", {"name": f"Team {suffix}", "members": [owner]})
    group = next(g["id"] for g in admin_call("groups.get_all", {})["groups"] if g["name"] == f"Team {suffix}")
    version = admin_call("resource_configuration.get", {})["saved_version"]
    saved = admin_call("resource_configuration.save", {"configuration": configuration(suffix, group),
                                                        "version": version})["saved_version"]
    admin_call("resource_configuration.provision", {"version": saved})
    admin_call("resource_configuration.set_enabled", {"enabled": True})

    sdk_site = subprocess.run([args.python, "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True).stdout.strip() or site_module.getsitepackages()[0]
    script = PROBE.format(site=sdk_site, key="sdk.none")
    tasks = [owner_call("tasks.create", {
        "name": f"allocated {i}", "type": "training",
        "script": {"diff": script, "entry_point": "probe.py", "working_dir": "."},
    })["id"] for i in range(2)]
    detail["tasks"] = tasks

    write_config(home, api, args.files, args.access_key, args.secret_key)
    enqueued = check_sdk.run_child(args, "enqueue", {"tasks": tasks, "queue": f"team-{suffix}"}, home,
                                   script=__file__)
    detail["enqueue"] = enqueued.get("detail")
    if not enqueued.get("ok"):
        problems.append("Task.enqueue into the policy's queue did not leave both tasks queued")

    def entries(name):
        qs = admin_call("queues.get_all", {"name": f"^{name}$"})["queues"]
        return [e["task"] for e in qs[0]["entries"]] if qs else None

    detail["pool_queue_before"] = entries(f"pool-{suffix}")
    detail["policy_queue_before"] = entries(f"team-{suffix}")
    if detail["pool_queue_before"] != tasks[:1] or detail["policy_queue_before"] != tasks[1:]:
        problems.append("after enqueueing, the first task should wait on the pool's queue and the second in the "
                        "policy's queue")
    why = owner_call("tasks.get_pending_reason", {"task": tasks[1]})
    detail["second_reason"] = why
    if why.get("reason") != "policy_limit":
        problems.append(f"the second task's pending reason is {why.get('reason')!r}, expected policy_limit")

    agent_home = Path(home) / "agent"
    agent_home.mkdir()
    write_config(agent_home, api, args.files, args.agent_key, args.agent_secret,
                 "agent {\n  package_manager { type: pip }\n"
                 f"  venvs_dir: {agent_home / 'venvs'}\n  vcs_cache {{ enabled: false }}\n}}\n")
    agent = subprocess.Popen(
        [str(Path(args.python).parent / "clearml-agent"), "daemon", "--queue", f"pool-{suffix}", "--foreground",
         "--use-owner-token"],
        env=isolated_env(agent_home), cwd=agent_home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    docs, second_while_first_ran = {}, set()
    deadline = time.time() + AGENT_TIMEOUT_SEC
    try:
        while time.time() < deadline:
            time.sleep(2)
            docs = {t: owner_call("tasks.get_by_id", {"task": t})["task"] for t in tasks}
            if docs[tasks[0]]["status"] == "in_progress":
                second_while_first_ran.add(docs[tasks[1]]["status"])
            if all(d["status"] in ("failed", "completed", "stopped") for d in docs.values()):
                break
            if agent.poll() is not None:
                break
    finally:
        out = stop_agent(agent)
    statuses = [docs.get(t, {}).get("status") for t in tasks]
    detail["statuses"] = statuses
    detail["second_while_first_ran"] = sorted(second_while_first_ran)
    if statuses != ["failed", "failed"]:
        problems.append(f"the tasks ended {statuses}, expected both failed (their scripts exit 3)")
    else:
        first_end, second_start = docs[tasks[0]].get("completed"), docs[tasks[1]].get("started")
        detail["first_end"], detail["second_start"] = first_end, second_start
        if not (first_end and second_start and second_start >= first_end):
            problems.append("the second task started before the first ended: the pool of 1 held two jobs")
    if second_while_first_ran - {"queued"}:
        problems.append(f"while the first ran the second was {sorted(second_while_first_ran)}, expected queued")
    view = admin_call("resource_configuration.get", {})
    detail["in_use_after"] = [p["in_use"] for p in view["usage"]["pools"]]
    if detail["in_use_after"] != [0]:
        problems.append(f"the pool still holds {detail['in_use_after']} after both tasks ended")
    admin_call("resource_configuration.set_enabled", {"enabled": False})
    if problems:
        detail["problems"] = problems
        detail["agent_output"] = tail(out, 4000)
    return {"ok": not problems, "detail": detail}


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        check_sdk.child_main(*sys.argv[2:], steps=CHILD_STEPS)
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["allocate", "enqueue"])
    p.add_argument("--api", required=True, help="api_server URL")
    p.add_argument("--files", help="files_server URL")
    p.add_argument("--access-key", required=True, help="the tasks' owner's access key")
    p.add_argument("--secret-key", required=True)
    p.add_argument("--admin-key", help="allocate: an administrator's access key")
    p.add_argument("--admin-secret")
    p.add_argument("--agent-key", help="allocate: a service account's access key (may impersonate)")
    p.add_argument("--agent-secret")
    p.add_argument("--tasks", help="enqueue: task ids, comma-separated")
    p.add_argument("--queue", help="enqueue: the queue's name")
    p.add_argument("--python", default=default_python(), help="Python with clearml and clearml-agent installed")
    p.add_argument("--timeout", type=int, default=180, help="seconds per SDK step")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="atrium-resources-") as home:
        if args.step == "enqueue":
            if not (args.tasks and args.queue):
                p.error("enqueue needs --tasks and --queue")
            write_config(home, args.api, args.files, args.access_key, args.secret_key)
            result = check_sdk.run_child(args, "enqueue", {"tasks": args.tasks.split(","), "queue": args.queue}, home,
                                         script=__file__)
        else:
            if not (args.admin_key and args.admin_secret and args.agent_key and args.agent_secret):
                p.error("allocate needs --admin-key, --admin-secret, --agent-key and --agent-secret")
            result = step_allocate(args, home)
    print(json.dumps({"step": args.step, **result}, default=str), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
