"""The pre-publish checker's rows: a 2,000-character post checked warm, and the memory of a process
after many checks. Measured in this process (the checker runs beside the web workers, or in them)."""
import re
import statistics
import time
from pathlib import Path

# About 2,000 characters: a long post with a name, a room, a date, a claim and a hashtag block.
POST = (
    "What a week on 5 North! 💙 First, a huge thank-you to everyone who came to the spring wellness fair: "
    "more than 300 neighbours got blood pressure checks and flu shots, and our dietitians handed out 200 "
    "recipe cards. Second, congratulations to our nurse residency graduates, who finished twelve weeks of "
    "classes and precepted shifts and are now full members of the team. Third, a reminder that the north "
    "garage closes for resurfacing next month; use Lot B and the shuttle. And a little joy: Maria Lopez in "
    "room 412 went home after her knee surgery on March 3 and says our new program is guaranteed to get you "
    "walking in a week! Our physical therapists want everyone to know that recovery takes time, that every "
    "knee is different, and that the exercises matter more than any gadget. If you are waiting for a joint "
    "replacement, come to the free class on the first Tuesday of each month in the conference room on the "
    "ground floor: you will meet the surgeons, the nurses and the therapists, tour the unit, and learn how "
    "to get your home ready. Bring a friend or a family member; coffee is on us. Questions? Call the "
    "Joint Replacement Center at 555-0142. "
) * 1
POST = (POST + "#nurses #community #wellness #physicaltherapy #kneereplacement #healthyliving " * 12)[:2000]


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def postcheck_rows(flask_app, smoke: bool, row, log) -> list:
    from app.postcheck.services import check, draft

    with flask_app.app_context():
        flask_app.config["COURSES_DIR"] = str(Path(__file__).parent.parent / "courses")
        post = draft(POST, "instagram")
        before = rss_mb()
        check(post)  # loads the model
        loaded = rss_mb()
        times = []
        for _ in range(3 if smoke else 50):
            started = time.perf_counter()
            result = check(post)
            times.append(time.perf_counter() - started)
        log(f"post check: verdict {result.verdict}, {len(result.findings)} findings, "
            f"median {statistics.median(times) * 1000:.0f} ms; model took {loaded - before:.0f} MB")
        variants = [POST.replace("Maria Lopez", f"Person {n}") for n in range(20)]
        for n in range(10 if smoke else 1000):
            check(draft(variants[n % len(variants)], "facebook"))
        after = rss_mb()
    return [row("postcheck", f"check a {len(POST):,}-character post, warm, median of {len(times)}", None,
                statistics.median(times), 0.300, "s", 1.0),
            row("postcheck-memory", f"RSS growth over {10 if smoke else 1000} more checks (model: "
                                    f"{loaded - before:.0f} MB, loaded once)", None, max(0.0, after - loaded), 20.0,
                "MB", 1.0)]
