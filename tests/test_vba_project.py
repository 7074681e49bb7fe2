"""vbaProject.bin writing: compression, encryption, streams, and workbooks read by olevba."""

from __future__ import annotations

import importlib.util
import io
import random
import re
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlsxwriter
from oletools.olevba import VBA_Parser, decompress_stream

from pmo_xl.vba import (
    DEFAULT_REFERENCES,
    XLWINGS_ADDIN_REFERENCE,
    ProjectReference,
    VBAModule,
    build_vba_project,
)
from pmo_xl.vba.compression import compress

# --- helpers ------------------------------------------------------------------------------------


def _decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


def _vba_like_text(size: int, seed: int = 3) -> bytes:
    """Plausible VBA source: repetitive structure with varying names and numbers."""
    rng = random.Random(seed)
    words = ["Range", "Cells", "Value", "Dim", "As", "Long", "String", "If", "Then", "row", "col"]
    lines = []
    while sum(len(line) + 2 for line in lines) < size:
        n = rng.randrange(1000)
        lines.append(f"    {rng.choice(words)} x{n} = {rng.choice(words)}({n}, {rng.random():.4f})")
    return "\r\n".join(lines).encode()[:size]


def _decrypt(hex_text: str) -> bytes:
    """MS-OVBA 2.4.3.3 Decryption, written independently of the writer's encryption."""
    enc = bytes.fromhex(hex_text)
    seed, version_enc, project_key_enc = enc[0], enc[1], enc[2]
    assert seed ^ version_enc == 2, "encryption version must be 2"
    unencrypted_1 = seed ^ project_key_enc
    encrypted_1, encrypted_2 = project_key_enc, version_enc
    plain = []
    for byte_enc in enc[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", bytes(plain), ignored)
    data = bytes(plain[ignored + 4 :])
    assert len(data) == length
    return data


def _dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """(id, payload) of every dir stream record (MS-OVBA 2.3.4.2)."""
    records, pos = [], 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        if record_id == 0x0009:  # PROJECTVERSION: Reserved (4), then 4 + 2 bytes of version
            size = 6
        records.append((record_id, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


def _streams(project: bytes) -> dict[str, bytes]:
    ole = olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)
    return {"/".join(p): ole.openstream(p).read() for p in ole.listdir(streams=True)}


def _body(code: str) -> str:
    """Source as the editor shows it: LF line ends, leading ``Attribute VB_`` lines removed."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[0].startswith("Attribute VB_"):
        lines.pop(0)
    return "\n".join(lines).rstrip("\n")


def _extract(path: Path) -> dict[str, tuple[str, str]]:
    """Module name -> (olevba's file name, stored source) for every module olevba finds."""
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {
            stream.split("/")[-1]: (filename, code)
            for _, stream, filename, code in parser.extract_macros()
        }
    finally:
        parser.close()


def _xlwings_file(name: str) -> Path:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        pytest.skip("xlwings is not installed: its shipped VBA is the specimen here")
    return Path(spec.origin).parent / name


# Exactly what Excel stores for a new, empty worksheet module (from xlwings'
# quickstart_standalone.xlsm, decompressed).
EXCEL_SHEET1_SOURCE = (
    b'Attribute VB_Name = "Sheet1"\r\n'
    b'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"\r\n'
    b"Attribute VB_GlobalNameSpace = False\r\n"
    b"Attribute VB_Creatable = False\r\n"
    b"Attribute VB_PredeclaredId = True\r\n"
    b"Attribute VB_Exposed = True\r\n"
    b"Attribute VB_TemplateDerived = False\r\n"
    b"Attribute VB_Customizable = True\r\n"
)

MODULE1 = 'Option Explicit\n\nSub RunReport()\n    MsgBox "Caf\xe9 report"\nEnd Sub\n'
CLASS_CODE = "Private mTotal As Double\r\n\r\nPublic Property Get Total() As Double\r\n" + (
    "    Total = mTotal\r\nEnd Property\r\n"
)


# --- compression (MS-OVBA 2.4.1) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "compressed"),
    [
        # MS-OVBA 3.2.1 No Compression, 3.2.2 Normal Compression, 3.2.3 Maximum Compression
        (b"abcdefghijklmnopqrstuv.", "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F"
         " 70 00 71 72 73 74 75 76 2E"),
        (b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa", "01 2F B0 00 23 61 61 61 62"
         " 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E 6F 70 06 71 02 70 04"
         " 00 72 73 74 75 76 10 77 78 79 7A 00 2C"),
        (b"a" * 73, "01 03 B0 02 61 45 00"),
    ],
)  # fmt: skip
def test_compression_reproduces_spec_examples(text: bytes, compressed: str) -> None:
    assert compress(text) == bytes.fromhex(compressed)
    assert _decompress(bytes.fromhex(compressed)) == text


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Sub A()\r\nEnd Sub\r\n",
        _vba_like_text(4096),
        _vba_like_text(4096 * 3),
        _vba_like_text(4097),
        random.Random(5).randbytes(10_000),
        b"ab" * 50_000,
        bytes(100_000),
        _vba_like_text(100_000),
        bytes(random.Random(6).choice(b"ab") for _ in range(20_000)),  # many equal prefixes
    ],
    ids=[
        "empty", "short", "exactly-4096", "three-chunks", "4097", "random", "repetitive",
        "zeros-100k", "text-100k", "two-letters",
    ],
)  # fmt: skip
def test_compression_round_trips_through_oletools(data: bytes) -> None:
    compressed = compress(data)
    assert compressed[0] == 0x01
    assert _decompress(compressed) == data
    if len(set(data)) < 20 and len(data) > 1000:
        assert len(compressed) < len(data) / 2


def test_long_text_is_compressed_chunk_by_chunk() -> None:
    data = _vba_like_text(20_000)
    compressed = compress(data)
    pos, chunks = 1, 0
    while pos < len(compressed):
        (header,) = struct.unpack_from("<H", compressed, pos)
        assert header >> 12 == 0b1011  # compressed flag and signature 0b011
        pos += (header & 0x0FFF) + 3
        chunks += 1
    assert pos == len(compressed)
    assert chunks == 5  # 4096 decompressed bytes per chunk
    assert len(compressed) < len(data) * 0.7


def test_incompressible_chunk_is_stored_raw() -> None:
    data = random.Random(9).randbytes(4096 * 2)
    compressed = compress(data)
    assert struct.unpack_from("<H", compressed, 1)[0] == 0x3FFF  # raw chunk, 4096 bytes
    assert len(compressed) == 1 + 2 * (2 + 4096)
    assert _decompress(compressed) == data


# --- PROJECT stream protection values (MS-OVBA 2.4.3) ----------------------------------------


@pytest.mark.parametrize(
    ("cmg", "dpb", "gc"),
    [  # as Excel wrote them in xlwings' quickstart_standalone.xlsm and quickstart_addin.xlam
        ("8D8FA61394EA98EA98EA98EA98", "8D8FA61394EF95EF95EF", "8D8FA61394EF95EF9510"),
        ("1C1EFBF0B83CBC3CBC3CBC3CBC", "1C1EFBF0B839B939B939", "1C1EFBF0B839B939B9C6"),
    ],
)
def test_decryption_reads_excel_values(cmg: str, dpb: str, gc: str) -> None:
    assert (_decrypt(cmg), _decrypt(dpb), _decrypt(gc)) == (bytes(4), b"\x00", b"\xff")


def test_project_is_unprotected_and_visible() -> None:
    text = _streams(build_vba_project([]))["PROJECT"].decode("cp1252")
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"\r$', text, re.MULTILINE))
    assert _decrypt(values["CMG"]) == bytes(4)  # no protection flags
    assert _decrypt(values["DPB"]) == b"\x00"  # no password
    assert _decrypt(values["GC"]) == b"\xff"  # visible
    project_id = re.search(r'^ID="(\{[0-9A-F-]{36}\})"', text, re.MULTILINE)
    assert project_id
    seed, key_enc = bytes.fromhex(values["CMG"][:6])[0], bytes.fromhex(values["CMG"][:6])[2]
    assert seed ^ key_enc == sum(project_id[1].encode()) & 0xFF  # ProjKey is the ID checksum


# --- the storage and its streams --------------------------------------------------------------


def _sample_modules() -> list[VBAModule]:
    return [
        VBAModule("ThisWorkbook", "Private Sub Workbook_Open()\nEnd Sub\n", kind="document"),
        VBAModule("Sheet1", "", kind="document"),
        VBAModule("Module1", MODULE1),
        VBAModule("Totals", CLASS_CODE, kind="class"),
    ]


def test_streams_are_laid_out_like_excel_source_only_projects() -> None:
    streams = _streams(build_vba_project(_sample_modules()))
    assert sorted(streams) == sorted(
        ["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"]
        + ["VBA/ThisWorkbook", "VBA/Sheet1", "VBA/Module1", "VBA/Totals"]
    )
    assert streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000100")  # no p-code cache
    assert _decompress(streams["VBA/Sheet1"]) == EXCEL_SHEET1_SOURCE  # source at offset 0
    names = ("ThisWorkbook", "Sheet1", "Module1", "Totals")
    wm = b"".join(name.encode() + b"\0" + name.encode("utf-16-le") + b"\0\0" for name in names)
    assert streams["PROJECTwm"] == wm + b"\0\0"


def test_project_stream_text() -> None:
    text = _streams(build_vba_project(_sample_modules()))["PROJECT"].decode("cp1252")
    lines = text.split("\r\n")
    assert re.fullmatch(r'ID="\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}"', lines[0])
    assert lines[1:8] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Module=Module1",
        "Class=Totals",
        'Name="VBAProject"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
    ]
    assert [line.split("=")[0] for line in lines[8:11]] == ["CMG", "DPB", "GC"]
    assert lines[11:] == [
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        "ThisWorkbook=0, 0, 0, 0, C",
        "Sheet1=0, 0, 0, 0, C",
        "Module1=0, 0, 0, 0, C",
        "Totals=0, 0, 0, 0, C",
        "",
        "",
    ]


def test_dir_stream_records() -> None:
    streams = _streams(build_vba_project(_sample_modules(), project_name="PmoMacros"))
    records = _dir_records(_decompress(streams["VBA/dir"]))
    ids = [record_id for record_id, _ in records]
    # PROJECTINFORMATION (MS-OVBA 2.3.4.2.1), in order
    assert ids[:15] == [1, 2, 0x14, 3, 4, 5, 0x40, 6, 0x3D, 7, 8, 9, 0x0C, 0x3C, 0x16]
    info = dict(records[:14])
    assert struct.unpack("<I", info[0x0001]) == (3,)  # SYSKIND: 64-bit Windows
    assert struct.unpack("<I", info[0x0002]) == (0x409,)  # LCID
    assert struct.unpack("<H", info[0x0003]) == (1252,)  # code page
    assert info[0x0004] == b"PmoMacros"
    # PROJECTREFERENCES: name records then the registered type libraries
    libids = [payload[4:-6].decode() for record_id, payload in records if record_id == 0x0D]
    assert libids == [ref.libid for ref in DEFAULT_REFERENCES]
    names = [payload.decode() for record_id, payload in records if record_id == 0x16]
    assert names == ["stdole", "Office"]
    # PROJECTMODULES
    assert (0x000F, struct.pack("<H", 4)) in records
    assert (0x0013, b"\xff\xff") in records  # PROJECTCOOKIE
    modules = _module_records(records)
    assert [m[0x19] for m in modules] == [b"ThisWorkbook", b"Sheet1", b"Module1", b"Totals"]
    assert [m[0x47].decode("utf-16-le") for m in modules] == [
        "ThisWorkbook", "Sheet1", "Module1", "Totals",
    ]  # fmt: skip
    assert all(m[0x1A] == m[0x19] for m in modules)  # stream named like the module
    assert all(m[0x31] == bytes(4) for m in modules)  # MODULEOFFSET 0
    assert all(m[0x2C] == b"\xff\xff" for m in modules)  # MODULECOOKIE
    assert [0x21 in m for m in modules] == [False, False, True, False]  # procedural
    assert [0x22 in m for m in modules] == [True, True, False, True]  # document or class
    assert records[-1] == (0x0010, b"")  # Terminator


def _module_records(records: list[tuple[int, bytes]]) -> list[dict[int, bytes]]:
    modules: list[dict[int, bytes]] = []
    for record_id, payload in records:
        if record_id == 0x19:
            modules.append({})
        if modules:
            modules[-1][record_id] = payload
    return modules


def test_project_reference_to_an_add_in() -> None:
    refs = (*DEFAULT_REFERENCES, XLWINGS_ADDIN_REFERENCE)
    streams = _streams(build_vba_project([VBAModule("Module1", "")], references=refs))
    records = _dir_records(_decompress(streams["VBA/dir"]))
    (payload,) = [payload for record_id, payload in records if record_id == 0x0E]
    (absolute_size,) = struct.unpack_from("<I", payload)
    absolute = payload[4 : 4 + absolute_size]
    (relative_size,) = struct.unpack_from("<I", payload, 4 + absolute_size)
    relative = payload[8 + absolute_size : 8 + absolute_size + relative_size]
    assert absolute == relative == rb"*\Cxlwings.xlam"
    assert len(payload) == 8 + absolute_size + relative_size + 6  # MajorVersion, MinorVersion
    assert [p.decode() for i, p in records if i == 0x16] == ["stdole", "Office", "xlwings"]


def test_no_references() -> None:
    streams = _streams(build_vba_project([VBAModule("Module1", "")], references=()))
    ids = {record_id for record_id, _ in _dir_records(_decompress(streams["VBA/dir"]))}
    assert not ids & {0x0D, 0x0E, 0x16}


def test_output_is_deterministic() -> None:
    assert build_vba_project(_sample_modules()) == build_vba_project(_sample_modules())


# --- module source --------------------------------------------------------------------------


def _stored(module: VBAModule) -> str:
    data = _streams(build_vba_project([module]))[f"VBA/{module.name}"]
    return _decompress(data).decode("cp1252")


def test_line_endings_become_crlf() -> None:
    text = _stored(VBAModule("Module1", "Sub A()\n  x = 1\r  y = 2\r\nEnd Sub"))
    assert text == 'Attribute VB_Name = "Module1"\r\nSub A()\r\n  x = 1\r\n  y = 2\r\nEnd Sub\r\n'


def test_exported_bas_header_is_not_duplicated() -> None:
    text = _stored(VBAModule("Module1", 'Attribute VB_Name = "Module1"\r\nSub A()\r\nEnd Sub\r\n'))
    assert text == 'Attribute VB_Name = "Module1"\r\nSub A()\r\nEnd Sub\r\n'


def test_exported_cls_header_is_merged() -> None:
    exported = (
        "VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
        'Attribute VB_Name = "Totals"\r\nAttribute VB_Exposed = True\r\n'
        'Attribute VB_Description = "Running totals"\r\n' + CLASS_CODE
    )
    lines = _stored(VBAModule("Totals", exported, kind="class")).split("\r\n")
    assert lines[:9] == [
        'Attribute VB_Name = "Totals"',
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = False",
        "Attribute VB_Exposed = True",  # from the header
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = False",
        'Attribute VB_Description = "Running totals"',  # kept, after the generated ones
    ]
    assert "\r\n".join(lines[9:]) == CLASS_CODE


def test_exported_document_module_header_is_merged() -> None:
    exported = (
        "VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
        'Attribute VB_Name = "Sheet1"\r\n'
        'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
    )
    assert _stored(VBAModule("Sheet1", exported, kind="document")).encode() == EXCEL_SHEET1_SOURCE


def test_class_without_header_gets_class_attributes() -> None:
    text = _stored(VBAModule("Totals", CLASS_CODE, kind="class"))
    assert text.startswith('Attribute VB_Name = "Totals"\r\nAttribute VB_Base = "0{FCFB3D2A-')
    assert "Attribute VB_Exposed = False\r\n" in text
    assert text.endswith("\r\n" + CLASS_CODE)


def test_workbook_document_module_extends_workbook() -> None:
    text = _stored(VBAModule("ThisWorkbook", "", kind="document"))
    assert text == EXCEL_SHEET1_SOURCE.decode().replace('"Sheet1"', '"ThisWorkbook"').replace(
        "00020820", "00020819"
    )


def test_this_workbook_is_added_when_missing() -> None:
    streams = _streams(build_vba_project([VBAModule("Module1", "")]))
    assert "VBA/ThisWorkbook" in streams
    assert "Document=ThisWorkbook/&H00000000" in streams["PROJECT"].decode()


def test_character_outside_cp1252_names_module_and_character() -> None:
    module = VBAModule("Module1", 'Sub A()\n    MsgBox "done \u2713"\nEnd Sub\n')
    with pytest.raises(ValueError, match=r"'Module1'.*'\u2713' \(U\+2713\) on line 2 .*1252"):
        build_vba_project([module])


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ([VBAModule("1Module", "")], "invalid VBA module name"),
        ([VBAModule("My Module", "")], "invalid VBA module name"),
        ([VBAModule("M" * 32, "")], "invalid VBA module name"),
        ([VBAModule("Module1", ""), VBAModule("MODULE1", "")], "duplicate"),
        ([VBAModule("ThisWorkbook", "")], "must be a document module"),
        ([VBAModule("Dir", "")], "'dir'"),
        ([VBAModule("Module1", 'Attribute VB_Name = "Other"\n')], "VB_Name"),
        ([VBAModule("Module1", "VERSION 1.0 CLASS\nBEGIN\nEND\n")], "kind='class'"),
    ],
)
def test_invalid_modules_are_rejected(modules: list[VBAModule], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_vba_project(modules)


def test_invalid_project_name_and_reference() -> None:
    with pytest.raises(ValueError, match="project name"):
        build_vba_project([], project_name="VBA Project")
    with pytest.raises(ValueError, match="exactly one"):
        ProjectReference("x")
    with pytest.raises(ValueError, match="1252"):
        build_vba_project([], references=[ProjectReference.vba_project("x", "\u2713.xlam")])


# --- workbooks, read back by olevba -------------------------------------------------------------


def _write_xlsm(path: Path, modules: list[VBAModule], **kwargs: object) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_vba_name("ThisWorkbook")
    plan = workbook.add_worksheet("Plan")
    plan.set_vba_name("Sheet1")
    plan.write("A1", "Status")
    plan.insert_button("C2", {"macro": "Module1.RunReport", "caption": "Run report"})
    workbook.add_worksheet("Risks").set_vba_name("Sheet2")
    workbook.add_vba_project(io.BytesIO(build_vba_project(modules, **kwargs)), is_stream=True)
    workbook.close()


def test_xlsm_modules_read_back_with_olevba(tmp_path: Path) -> None:
    long_code = _vba_like_text(20_000).decode()
    modules = [
        *_sample_modules()[:2],
        VBAModule("Sheet2", "Private Sub Worksheet_Activate()\nEnd Sub\n", kind="document"),
        VBAModule("Module1", MODULE1),
        VBAModule("Totals", CLASS_CODE, kind="class"),
        VBAModule("Generated", f"Sub Big()\r\n{long_code}\r\nEnd Sub\r\n"),
    ]
    path = tmp_path / "macros.xlsm"
    _write_xlsm(path, modules)

    found = _extract(path)
    assert sorted(found) == sorted(m.name for m in modules)
    for module in modules:
        filename, code = found[module.name]
        assert filename == module.name + (".bas" if module.kind == "standard" else ".cls")
        assert code.startswith(f'Attribute VB_Name = "{module.name}"\r\n')
        assert _body(code) == _body(module.code)
        assert "\n" not in code.replace("\r\n", "")

    with zipfile.ZipFile(path) as package:
        assert "xl/vbaProject.bin" in package.namelist()
        assert 'codeName="ThisWorkbook"' in package.read("xl/workbook.xml").decode()
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
        assert 'codeName="Sheet1"' in sheet_xml
        vml = package.read("xl/drawings/vmlDrawing1.vml").decode()
        assert "Module1.RunReport" in vml


def test_xlsm_with_add_in_reference_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "addin.xlsm"
    modules = [VBAModule("Module1", 'Sub RunReport()\n    RunPython "import pmo"\nEnd Sub\n')]
    _write_xlsm(path, modules, references=(*DEFAULT_REFERENCES, XLWINGS_ADDIN_REFERENCE))
    assert _body(_extract(path)["Module1"][1]) == _body(modules[0].code)


def test_xlwings_shipped_modules_are_stored_as_excel_stores_them(tmp_path: Path) -> None:
    """xlwings' standalone module (46 KB, 12 chunks) and its Dictionary class, from the files
    xlwings ships, against the source Excel stored in xlwings' quickstart_standalone.xlsm."""
    bas = _xlwings_file("xlwings.bas").read_bytes().decode("cp1252")
    cls = _xlwings_file("addin/Dictionary.cls").read_bytes().decode("cp1252")
    modules = [VBAModule("xlwings", bas), VBAModule("Dictionary", cls, kind="class")]
    path = tmp_path / "standalone.xlsm"
    _write_xlsm(path, [*modules, VBAModule("Module1", MODULE1)])
    found = _extract(path)
    assert found["xlwings"][1] == bas  # already CRLF, with its own VB_Name line
    assert _body(found["Dictionary"][1]) == _body(cls.split("END\r\n", 1)[1])

    with zipfile.ZipFile(_xlwings_file("quickstart_standalone.xlsm")) as package:
        excel = _extract_bin(package.read("xl/vbaProject.bin"), tmp_path)["Dictionary"][1]
    assert _module_attributes(found["Dictionary"][1]) == _module_attributes(excel)


def _module_attributes(code: str) -> list[str]:
    return [line for line in code.split("\r\n") if line.startswith("Attribute VB_")]


def _extract_bin(data: bytes, tmp_path: Path) -> dict[str, tuple[str, str]]:
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(data)
    return _extract(path)
