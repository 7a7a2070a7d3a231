"""Incremental state and output: what earlier runs wrote, what this run writes.

    component.py    IncrementalCrawl: the one owner, an extension the spider and pipelines ask
    state.py        the crawl state in SQLite (articles, failures to retry, walks to go on with)
    ledger.py       what this run (and the run it resumes) wrote
    unfinished.py   failed articles and unfinished index walks, for the next runs
    resume.py       JOBDIR pause/resume of the output files; recovery after a kill
    locks.py        one crawl at a time per state directory and JOBDIR
    jsonlines.py    crash-safe JSONL files (.part, never replacing a published file)
    outputs.py      output file names, the crawl's time stamp, settings checks, write failures
    rejects.py      the rejects file
"""
