#!/usr/bin/env python3
"""Writes the runtime of a source folder over an exported one, as `triage export web` writes it
(WebExport.swift): triage.js as it is, and index.html with the runtime up to its "// MARK: - Exports"
line in place of /*RUNTIME*/. For timing a changed runtime without rebuilding the binary that embeds
it (the bench's RUNTIME_DIR).
    runtime_over.py SOURCE_DIR (Sources/TriageKit/Web) WEB_FOLDER
"""
import os
import sys

source, web = sys.argv[1], sys.argv[2]
runtime = open(os.path.join(source, "triage.js"), encoding="utf-8").read()
page = open(os.path.join(source, "index.html"), encoding="utf-8").read()
marker = runtime.find("// MARK: - Exports")
core = runtime if marker < 0 else runtime[:marker]
if "</script" in core.lower():
    sys.exit("runtime_over: the runtime holds a closing script tag")
open(os.path.join(web, "triage.js"), "w", encoding="utf-8").write(runtime)
open(os.path.join(web, "index.html"), "w", encoding="utf-8").write(page.replace("/*RUNTIME*/", core))
