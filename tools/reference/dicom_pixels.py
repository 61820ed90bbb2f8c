"""Golden pixel digests for Tests/VisionTests/DICOMParityTests.swift: what pydicom 3.0.2 decodes
from every DICOM file of ../shared/data/images/dicom, or why it refuses it.

    python3 -m venv .venv-dicom
    .venv-dicom/bin/pip install pydicom==3.0.2 numpy pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg \
        pylibjpeg-rle pyjpegls python-gdcm
    .venv-dicom/bin/python tools/reference/dicom_pixels.py [DIR]

rewrites the lines between the BEGIN/END GENERATED markers of Tests/VisionTests/DICOMGoldens.swift
(with `--print`, prints them instead). With `--differences DUMP`, it compares instead the values
Triage wrote (`TRIAGE_DICOM_DUMP=DUMP swift test --filter DICOMParityTests`: one DUMP/NAME.i64 of
int64 per file) with pydicom's pylibjpeg decoding of each lossy JPEG file, as a Markdown table.

One line per file: name, "decoded" or "refused", then for a decoded file the array's shape
(frames, rows, columns, samples), pydicom's photometric interpretation after decoding, the sum, two
position-weighted checksums (uint64 arithmetic that wraps, as Swift's &+ and &*), and the first,
middle and last values. Samples are pydicom's `pixel_array` values: stored values, before the
Modality LUT, colour converted to RGB where pydicom does by default (`as_rgb`). A refused file
carries pydicom's exception. Every file is read with `force=True` (a file without the 128-byte
preamble and "DICM" still reads). The decoder plugin pydicom used is named (`pylibjpeg` for JPEG and
JPEG 2000, `pyjpegls` for JPEG-LS, its own for native and RLE); for lossy JPEG, and for a file
the first plugin refuses, the digests of GDCM's decoding (`gdcm` plugin) and of DCMTK's (`dcmdjpeg`
from Debian's dcmtk, when installed, read back by pydicom) follow as second opinions.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom
from pydicom.pixels import pixel_array

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DUMP = sys.argv[sys.argv.index("--differences") + 1] if "--differences" in sys.argv else None
if DUMP:
    ARGS.remove(DUMP)
DIR = ARGS[0] if ARGS else os.path.join(HERE, "..", "..", "..", "shared", "data", "images", "dicom")
K = np.uint64(0x9E3779B97F4A7C15)

LOSSY_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
PLUGINS = {  # transfer syntax prefix -> the plugin asked for
    "1.2.840.10008.1.2.4.5": "pylibjpeg", "1.2.840.10008.1.2.4.57": "pylibjpeg", "1.2.840.10008.1.2.4.70": "pylibjpeg",
    "1.2.840.10008.1.2.4.8": "pyjpegls", "1.2.840.10008.1.2.4.9": "pylibjpeg",
}


def digest(arr, ds):
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    rows, cols = int(ds.Rows), int(ds.Columns)
    a = np.ascontiguousarray(arr).reshape(-1).astype(np.int64)
    shape = (frames, rows, cols, samples)
    assert a.size == frames * rows * cols * samples, (arr.shape, shape)
    u = a.view(np.uint64)
    i = np.arange(a.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        w = i * K + np.uint64(1)
        c1 = int((u * w).sum(dtype=np.uint64))
        c2 = int((u * u * (i + np.uint64(1))).sum(dtype=np.uint64))
    values = [int(a[0]), int(a[a.size // 2]), int(a[-1])]
    return "x".join(map(str, shape)), int(a.sum()), c1, c2, values


def plugin_for(syntax):
    for prefix, plugin in PLUGINS.items():
        if syntax.startswith(prefix):
            return plugin
    return ""


def second_opinion(ds, path):
    """GDCM's decoding through pydicom, then DCMTK's (dcmdjpeg, when on PATH) read back by pydicom."""
    out = []
    try:
        g = digest(pixel_array(ds, decoding_plugin="gdcm"), ds)
        out.append(f"gdcm:{g[0]}:{g[1]}:{g[2]}:{g[3]}")
    except Exception as e:  # noqa: BLE001
        out.append(f"gdcm-failed:{type(e).__name__}")
    if shutil.which("dcmdjpeg") and str(ds.file_meta.TransferSyntaxUID).startswith("1.2.840.10008.1.2.4.5"):
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, "raw.dcm")
            done = subprocess.run(["dcmdjpeg", path, raw], capture_output=True)
            if done.returncode == 0:
                r = pydicom.dcmread(raw)
                g = digest(r.pixel_array, r)
                out.append(f"dcmtk:{g[0]}:{g[1]}:{g[2]}:{g[3]}")
            else:
                out.append("dcmtk-failed")
    return "\t".join(out)


def lines():
    for name in sorted(os.listdir(DIR)):
        if not name.endswith(".dcm"):
            continue
        path = os.path.join(DIR, name)
        ds = None
        try:
            ds = pydicom.dcmread(path, force=True)
            syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
            plugin = plugin_for(syntax)
            arr = pixel_array(ds, decoding_plugin=plugin) if plugin else ds.pixel_array
            photometric = str(ds.get("PhotometricInterpretation", ""))
            if int(getattr(ds, "SamplesPerPixel", 1) or 1) == 3 and photometric.startswith("YBR"):
                photometric = "RGB"  # as_rgb converted it
            shape, total, c1, c2, values = digest(arr, ds)
            fields = [name, "decoded", shape, photometric, str(total), str(c1), str(c2), ",".join(map(str, values)),
                      plugin or "pydicom"]
            if syntax in LOSSY_JPEG:
                fields.append(second_opinion(ds, path))
            yield "\t".join(fields)
        except Exception as e:  # noqa: BLE001
            message = " ".join(str(e).split())[:160].replace("\\", "/").replace('"', "'")
            fields = [name, "refused", f"{type(e).__name__}: {message}"]
            try:
                if ds is not None and "PixelData" in ds and getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None):
                    fields.append(second_opinion(ds, path))
            except Exception:  # noqa: BLE001
                pass
            yield "\t".join(fields)


def differences():
    print("| file | photometric | samples that differ | largest difference |")
    print("| --- | --- | --- | --- |")
    for name in sorted(os.listdir(DIR)):
        ds = pydicom.dcmread(os.path.join(DIR, name), force=True)
        syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
        ours = os.path.join(DUMP, name + ".i64")
        if syntax not in LOSSY_JPEG or not os.path.exists(ours):
            continue
        try:
            ref = pixel_array(ds, decoding_plugin="pylibjpeg").reshape(-1).astype(np.int64)
        except Exception:  # noqa: BLE001
            continue
        diff = np.abs(np.fromfile(ours, dtype="<i8") - ref)
        print(f"| `{name}` | {ds.PhotometricInterpretation} | {int((diff > 0).sum()):,} of {diff.size:,} | {int(diff.max())} |")


def main():
    if DUMP:
        differences()
        return
    out = [f'        "{line}",'.replace("\t", "\\t") for line in lines()]
    if "--print" in sys.argv:
        print("\n".join(out))
        return
    path = os.path.join(HERE, "..", "..", "Tests", "VisionTests", "DICOMGoldens.swift")
    text = open(path).read()
    begin, end = "// BEGIN GENERATED\n", "        // END GENERATED"
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    open(path, "w").write(head + begin + "\n".join(out) + "\n" + end + tail)


if __name__ == "__main__":
    main()
