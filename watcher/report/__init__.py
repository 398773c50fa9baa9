"""The report stage: build a Digest from stored matches (pure), render it as text and HTML, compose the mail."""

from watcher.config.coverage import covered_entries
from watcher.report.digest import Digest, EntrySection, build_digest, digest_to_json
from watcher.report.message import compose_message, subject
from watcher.report.parts import DigestItem, SourceProblem, source_problems
from watcher.report.render import render_html, render_text
from watcher.report.situations import SituationReport, Story
from watcher.report.trends import Counts, History, earlier_periods

__all__ = [
    "Counts",
    "Digest",
    "DigestItem",
    "EntrySection",
    "History",
    "SituationReport",
    "SourceProblem",
    "Story",
    "build_digest",
    "compose_message",
    "covered_entries",
    "digest_to_json",
    "earlier_periods",
    "render_html",
    "render_text",
    "source_problems",
    "subject",
]
