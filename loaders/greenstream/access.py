"""Placeholder: implemented by the issue that introduces the `access` verb."""

from __future__ import annotations

import argparse

from greenstream.settings import Settings


def main(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError(args.verb)
