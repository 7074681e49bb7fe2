"""Build the VBA project of a macro-enabled workbook (``xl/vbaProject.bin``) from module source.

The project is written in the source-only form that MS-OVBA prescribes for writers and that
Excel itself ships (e.g. xlwings' add-in): a 7-byte ``_VBA_PROJECT`` stream with version
0xFFFF and no performance cache, module streams holding only compressed source at offset 0,
so the host compiles the code when it opens the workbook.  Layout (MS-OVBA 2.2)::

    PROJECT            text: modules, name, protection state, workspace   (MS-OVBA 2.3.1)
    PROJECTwm          module names in MBCS and UTF-16                    (MS-OVBA 2.3.3)
    VBA/_VBA_PROJECT   version stamp                                      (MS-OVBA 2.3.4.1)
    VBA/dir            compressed project information, references, modules (MS-OVBA 2.3.4.2)
    VBA/<module>       compressed source of each module                   (MS-OVBA 2.3.4.3)

Source and names are stored in code page 1252 with CRLF line endings.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .cfb import write_compound_file
from .compression import compress

__all__ = [
    "DEFAULT_REFERENCES",
    "OFFICE_REFERENCE",
    "STDOLE_REFERENCE",
    "XLWINGS_ADDIN_REFERENCE",
    "ProjectReference",
    "VBAModule",
    "build_vba_project",
]

ModuleKind = Literal["standard", "document", "class"]

CODEPAGE = 1252
_ENCODING = "cp1252"
LCID_EN_US = 0x0409
# SYSKIND 0x00000003 = 64-bit Windows (MS-OVBA 2.3.4.2.1.1), as in the source-only projects
# xlwings ships (quickstart_standalone.xlsm, xlwings.xlam).  With no compiled code present,
# hosts of either bitness compile from source anyway.
SYSKIND_WIN64 = 0x00000003
WORKBOOK_MODULE = "ThisWorkbook"  # XlsxWriter's default workbook code name

# Fixed, arbitrary values where the spec leaves the choice to the writer (determinism).
_PROJECT_VERSION = (1, 0)  # PROJECTVERSION major/minor (MS-OVBA 2.3.4.2.1.11)
_ENCRYPTION_SEED = 0x41  # Data Encryption seed (MS-OVBA 2.4.3.2); (seed & 6) == 0: no filler
_PROJECT_ID_NAMESPACE = uuid.UUID("8f2f5c1e-3b7a-4d36-9a51-0c6a1f0e7d21")

_VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"  # MS-OVBA 2.3.4.1, version 0xFFFF
_VERSION_COMPATIBLE32 = "393222000"
_PROTECTION_STATE_NONE = bytes(4)  # ProjectProtectionState: no flag set (MS-OVBA 2.3.1.15)
_PASSWORD_NONE = b"\x00"  # ProjectPassword of an unprotected project (MS-OVBA 2.3.1.16)
_VISIBILITY_VISIBLE = b"\xff"  # ProjectVisibilityState (MS-OVBA 2.3.1.17)
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"

# VB_Base of document and class modules: the class the module extends.
_WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
_WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
_CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_MAX_MODULE_NAME = 31  # VBA identifiers; also the compound file limit for stream names
_MAX_PROJECT_NAME = 128  # PROJECTNAME (MS-OVBA 2.3.4.2.1.6)
_ATTRIBUTE_LINE = re.compile(r"\s*Attribute\s+(VB_\w+)\s*=\s*(.*?)\s*\Z", re.IGNORECASE)


@dataclass(frozen=True)
class VBAModule:
    """One module of the project.

    ``code`` is the module body as shown in the VBA editor; the writer adds the ``Attribute``
    lines that the editor hides.  If ``code`` starts with an exported header (as ``.bas`` and
    ``.cls`` files do), the header is merged instead of duplicated: a leading
    ``VERSION 1.0 CLASS`` line with its ``BEGIN``…``END`` block is dropped (the editor strips it
    on import too) and the leading ``Attribute VB_…`` lines override the generated attributes
    of the same name; attributes not generated here (e.g. ``VB_Description``) are kept after
    them.  A ``VB_Name`` in the header must equal ``name``.

    ``kind``: ``"standard"`` for a procedural module (``Module1``); ``"document"`` for the code
    behind the workbook, which must be named ``ThisWorkbook`` (the workbook's code name), or
    behind a worksheet, named like that sheet's code name (``Sheet1``); ``"class"`` for a class
    module.
    """

    name: str
    code: str
    kind: ModuleKind = "standard"


@dataclass(frozen=True)
class ProjectReference:
    """An entry of the VBA editor's Tools > References, written to the dir stream.

    Exactly one of ``libid`` and ``path`` is set:

    * ``libid``: a registered Automation type library (REFERENCEREGISTERED, MS-OVBA
      2.3.4.2.2.5), e.g. ``*\\G{guid}#2.0#0#path#description`` (MS-OVBA 2.1.1.8);
      the host finds it in the registry by GUID and version.
    * ``path``: another workbook's VBA project, e.g. an add-in (REFERENCEPROJECT, MS-OVBA
      2.3.4.2.2.6); ``relative_path`` defaults to ``path`` and ``version`` is the referenced
      project's PROJECTVERSION (major, minor).

    Use :meth:`type_library` and :meth:`vba_project` to build one.
    """

    name: str
    libid: str | None = None
    path: str | None = None
    relative_path: str | None = None
    version: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a VBA reference needs a name")
        if (self.libid is None) == (self.path is None):
            raise ValueError(f"VBA reference {self.name!r}: give exactly one of libid and path")

    @classmethod
    def type_library(cls, name: str, libid: str) -> ProjectReference:
        """A reference to a registered type library such as stdole or the Office library."""
        return cls(name=name, libid=libid)

    @classmethod
    def vba_project(
        cls,
        name: str,
        path: str,
        *,
        relative_path: str | None = None,
        version: tuple[int, int] = (0, 0),
    ) -> ProjectReference:
        """A reference to the VBA project embedded in another workbook or add-in."""
        return cls(name=name, path=path, relative_path=relative_path, version=version)


STDOLE_REFERENCE = ProjectReference.type_library(
    "stdole",
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb"
    "#OLE Automation",
)
OFFICE_REFERENCE = ProjectReference.type_library(
    "Office",
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
    r"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
)
# The xlwings add-in, for workbooks that call its RunPython instead of embedding its module.
XLWINGS_ADDIN_REFERENCE = ProjectReference.vba_project("xlwings", "xlwings.xlam")
# What Excel gives a new project besides the implicit VBA and Excel libraries.
DEFAULT_REFERENCES: tuple[ProjectReference, ...] = (STDOLE_REFERENCE, OFFICE_REFERENCE)


def build_vba_project(
    modules: Sequence[VBAModule],
    *,
    project_name: str = "VBAProject",
    references: Sequence[ProjectReference] = DEFAULT_REFERENCES,
) -> bytes:
    """Return the bytes of a ``vbaProject.bin`` holding ``modules``.

    A ``ThisWorkbook`` document module is added first when ``modules`` has none, since
    XlsxWriter gives every workbook with a VBA project that code name.  Every other sheet
    that has a code name (XlsxWriter gives ``Sheet1``, ``Sheet2``, …) should get a document
    module of that name.  Pass the result to XlsxWriter as
    ``workbook.add_vba_project(io.BytesIO(data), is_stream=True)``.

    Raises ``ValueError`` for invalid or duplicate names, a ``ThisWorkbook`` that is not a
    document module, or source that code page 1252 cannot encode (naming module, line and
    character).
    """
    _check_identifier(project_name, "project name", _MAX_PROJECT_NAME)
    modules = _with_workbook_module(modules)
    _check_modules(modules)
    sources = {m.name: _module_source(m) for m in modules}
    project_id = _project_id(project_name, modules)
    streams = {
        "PROJECT": _project_stream(project_id, project_name, modules),
        "PROJECTwm": _project_wm_stream(modules),
        "VBA/_VBA_PROJECT": _VBA_PROJECT_STREAM,
        "VBA/dir": compress(_dir_stream(project_name, modules, references)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(sources[module.name])
    return write_compound_file(streams)


# --- modules -------------------------------------------------------------------------------


def _with_workbook_module(modules: Sequence[VBAModule]) -> list[VBAModule]:
    if any(m.name.lower() == WORKBOOK_MODULE.lower() for m in modules):
        return list(modules)
    return [VBAModule(WORKBOOK_MODULE, "", kind="document"), *modules]


def _check_modules(modules: Sequence[VBAModule]) -> None:
    seen: set[str] = set()
    for module in modules:
        _check_identifier(module.name, "module name", _MAX_MODULE_NAME)
        if module.kind not in ("standard", "document", "class"):
            raise ValueError(f"VBA module {module.name!r}: unknown kind {module.kind!r}")
        key = module.name.lower()
        if key in seen:
            raise ValueError(f"duplicate VBA module name {module.name!r} (case-insensitive)")
        if key == "dir":
            raise ValueError("a VBA module cannot be named 'dir': that stream is the project's")
        if key == WORKBOOK_MODULE.lower() and module.kind != "document":
            raise ValueError(f"VBA module {module.name!r} must be a document module")
        seen.add(key)


def _check_identifier(name: str, what: str, max_length: int) -> None:
    if not _IDENTIFIER.match(name) or len(name) > max_length:
        raise ValueError(
            f"invalid VBA {what} {name!r}: use an ASCII letter followed by letters, digits "
            f"or underscores, at most {max_length} characters"
        )


def _module_attributes(module: VBAModule) -> dict[str, str]:
    """The attributes the VBA editor stores for a new module of this kind, in its order."""
    attributes = {"VB_Name": f'"{module.name}"'}
    if module.kind == "standard":
        return attributes
    if module.kind == "document":
        is_workbook = module.name.lower() == WORKBOOK_MODULE.lower()
        base = _WORKBOOK_BASE if is_workbook else _WORKSHEET_BASE
        predeclared = exposed = customizable = "True"
    else:
        base = _CLASS_BASE
        predeclared = exposed = customizable = "False"
    attributes.update(
        VB_Base=f'"{base}"',
        VB_GlobalNameSpace="False",
        VB_Creatable="False",
        VB_PredeclaredId=predeclared,
        VB_Exposed=exposed,
        VB_TemplateDerived="False",
        VB_Customizable=customizable,
    )
    return attributes


def _module_source(module: VBAModule) -> bytes:
    """The module's stored text: attribute lines then the body, CRLF, in code page 1252."""
    _check_encodable(module)
    lines = re.split(r"\r\n|\r|\n", module.code)
    if lines and lines[-1] == "":
        lines.pop()  # the final line break; added back below
    header, body = _split_export_header(module, lines)
    attributes = _module_attributes(module)
    canonical = {key.lower(): key for key in attributes}
    for key, value in header.items():
        attributes[canonical.get(key.lower(), key)] = value
    if (given := attributes["VB_Name"]) != f'"{module.name}"':
        raise ValueError(f"VBA module {module.name!r}: its code says Attribute VB_Name = {given}")
    text_lines = [f"Attribute {key} = {value}" for key, value in attributes.items()] + body
    return "".join(line + "\r\n" for line in text_lines).encode(_ENCODING)


def _split_export_header(module: VBAModule, lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Separate a leading ``VERSION 1.0 CLASS``/``BEGIN``…``END`` block and ``Attribute VB_``
    lines (the header of an exported ``.cls``/``.bas`` file) from the body."""
    i = 0
    if lines and lines[0].strip().upper().startswith("VERSION "):
        if module.kind == "standard":
            raise ValueError(
                f"VBA module {module.name!r}: code starts with {lines[0].strip()!r}, the header "
                "of an exported class or document module; use kind='class' or 'document'"
            )
        i = 1
        if i < len(lines) and lines[i].strip().upper() == "BEGIN":
            while i < len(lines) and lines[i].strip().upper() != "END":
                i += 1
            i += 1
    header: dict[str, str] = {}
    while i < len(lines) and (match := _ATTRIBUTE_LINE.match(lines[i])):
        header[match[1]] = match[2]
        i += 1
    return header, lines[i:]


def _check_encodable(module: VBAModule) -> None:
    """VBA stores source in the project's code page (1252): name the first character it lacks."""
    try:
        module.code.encode(_ENCODING)
    except UnicodeEncodeError as error:
        char = module.code[error.start]
        line = len(re.findall(r"\r\n|\r|\n", module.code[: error.start])) + 1
        raise ValueError(
            f"VBA module {module.name!r}: character {char!r} (U+{ord(char):04X}) on line "
            f"{line} cannot be encoded in code page 1252 (Windows-1252), which VBA stores "
            "source in"
        ) from None


# --- PROJECT and PROJECTwm streams --------------------------------------------------------------


def _project_id(project_name: str, modules: Sequence[VBAModule]) -> str:
    """A GUID for ProjectId (MS-OVBA 2.3.1.2), derived from the names for determinism."""
    key = "\0".join([project_name, *(m.name for m in modules)])
    return "{" + str(uuid.uuid5(_PROJECT_ID_NAMESPACE, key)).upper() + "}"


def _project_stream(project_id: str, project_name: str, modules: Sequence[VBAModule]) -> bytes:
    """The PROJECT stream (MS-OVBA 2.3.1): host-facing project properties as text."""
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")  # MS-OVBA 2.3.1.4
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        f'VersionCompatible32="{_VERSION_COMPATIBLE32}"',
        # No protection (MS-OVBA 2.3.1.15-17): state 0, no password, project visible.
        f'CMG="{_encrypt(project_id, _PROTECTION_STATE_NONE)}"',
        f'DPB="{_encrypt(project_id, _PASSWORD_NONE)}"',
        f'GC="{_encrypt(project_id, _VISIBILITY_VISIBLE)}"',
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
        "",
    ]
    return "".join(line + "\r\n" for line in lines).encode(_ENCODING)


def _project_wm_stream(modules: Sequence[VBAModule]) -> bytes:
    """PROJECTwm (MS-OVBA 2.3.3): each module name in MBCS and UTF-16, null-terminated."""
    parts = [
        m.name.encode(_ENCODING) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules
    ]
    return b"".join(parts) + b"\0\0"


def _encrypt(project_id: str, data: bytes) -> str:
    """MS-OVBA 2.4.3.2 Data Encryption of ``data`` as upper-case hex, with a fixed seed."""
    seed = _ENCRYPTION_SEED
    version = 2
    project_key = sum(project_id.encode(_ENCODING)) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted_1, encrypted_1, encrypted_2 = project_key, seed ^ project_key, seed ^ version
    ignored = bytes((seed & 6) // 2)  # IgnoredEnc: arbitrary bytes, zeros here
    for byte in ignored + struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    return out.hex().upper()


# --- dir stream --------------------------------------------------------------------------------


def _record(record_id: int, payload: bytes = b"") -> bytes:
    """A dir stream record: Id (2 bytes), Size (4 bytes), then the payload."""
    return struct.pack("<HI", record_id, len(payload)) + payload


def _text_records(record_id: int, unicode_id: int, text: str) -> bytes:
    """A record in MBCS followed by its Unicode twin (e.g. MODULENAME + MODULENAMEUNICODE)."""
    return _record(record_id, text.encode(_ENCODING)) + _record(
        unicode_id, text.encode("utf-16-le")
    )


def _dir_stream(
    project_name: str, modules: Sequence[VBAModule], references: Sequence[ProjectReference]
) -> bytes:
    """The decompressed dir stream (MS-OVBA 2.3.4.2)."""
    return b"".join(
        [
            _project_information(project_name),
            *(_reference(ref) for ref in references),
            _project_modules(modules),
            _record(0x0010),  # Terminator, then Reserved (4 bytes, 0) where a size would be
        ]
    )


def _project_information(project_name: str) -> bytes:
    """PROJECTINFORMATION (MS-OVBA 2.3.4.2.1)."""
    major, minor = _PROJECT_VERSION
    return b"".join(
        [
            _record(0x0001, struct.pack("<I", SYSKIND_WIN64)),  # PROJECTSYSKIND
            _record(0x0002, struct.pack("<I", LCID_EN_US)),  # PROJECTLCID
            _record(0x0014, struct.pack("<I", LCID_EN_US)),  # PROJECTLCIDINVOKE
            _record(0x0003, struct.pack("<H", CODEPAGE)),  # PROJECTCODEPAGE
            _record(0x0004, project_name.encode(_ENCODING)),  # PROJECTNAME
            _text_records(0x0005, 0x0040, ""),  # PROJECTDOCSTRING
            _text_records(0x0006, 0x003D, ""),  # PROJECTHELPFILEPATH (HelpFile1, HelpFile2)
            _record(0x0007, struct.pack("<I", 0)),  # PROJECTHELPCONTEXT
            _record(0x0008, struct.pack("<I", 0)),  # PROJECTLIBFLAGS
            # PROJECTVERSION: its Reserved field (4) stands where other records have a size.
            struct.pack("<HIIH", 0x0009, 4, major, minor),
            _text_records(0x000C, 0x003C, ""),  # PROJECTCONSTANTS
        ]
    )


def _reference(ref: ProjectReference) -> bytes:
    """REFERENCENAME followed by REFERENCEREGISTERED or REFERENCEPROJECT (MS-OVBA 2.3.4.2.2)."""
    name = _text_records(0x0016, 0x003E, ref.name)
    if ref.libid is not None:
        libid = _encode_reference_text(ref, ref.libid)
        body = struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0)
        return name + _record(0x000D, body)
    assert ref.path is not None
    # ProjectReference "*\C": an embedded project, Windows path (MS-OVBA 2.1.1.12).
    absolute = _encode_reference_text(ref, "*\\C" + ref.path)
    relative = _encode_reference_text(ref, "*\\C" + (ref.relative_path or ref.path))
    major, minor = ref.version
    body = (
        struct.pack("<I", len(absolute))
        + absolute
        + struct.pack("<I", len(relative))
        + relative
        + struct.pack("<IH", major, minor)
    )
    return name + _record(0x000E, body)


def _encode_reference_text(ref: ProjectReference, text: str) -> bytes:
    if "\0" in text:
        raise ValueError(f"VBA reference {ref.name!r}: null character in {text!r}")
    try:
        return text.encode(_ENCODING)
    except UnicodeEncodeError:
        raise ValueError(
            f"VBA reference {ref.name!r}: {text!r} cannot be encoded in code page 1252"
        ) from None


def _project_modules(modules: Sequence[VBAModule]) -> bytes:
    """PROJECTMODULES (MS-OVBA 2.3.4.2.3): count, PROJECTCOOKIE, one MODULE record each."""
    parts = [
        _record(0x000F, struct.pack("<H", len(modules))),
        _record(0x0013, struct.pack("<H", 0xFFFF)),  # PROJECTCOOKIE: 0xFFFF on write
    ]
    parts.extend(_module_record(m) for m in modules)
    return b"".join(parts)


def _module_record(module: VBAModule) -> bytes:
    """MODULE (MS-OVBA 2.3.4.2.3.2); the stream is named like the module."""
    return b"".join(
        [
            _text_records(0x0019, 0x0047, module.name),  # MODULENAME, MODULENAMEUNICODE
            _text_records(0x001A, 0x0032, module.name),  # MODULESTREAMNAME
            _text_records(0x001C, 0x0048, ""),  # MODULEDOCSTRING
            _record(0x0031, struct.pack("<I", 0)),  # MODULEOFFSET: source at 0, no cache
            _record(0x001E, struct.pack("<I", 0)),  # MODULEHELPCONTEXT
            _record(0x002C, struct.pack("<H", 0xFFFF)),  # MODULECOOKIE: 0xFFFF on write
            # MODULETYPE: 0x0021 procedural; 0x0022 document, class or designer.
            _record(0x0021 if module.kind == "standard" else 0x0022),
            _record(0x002B),  # Terminator, then Reserved (4 bytes, 0)
        ]
    )
