#!/usr/bin/env python3
"""Validates ONVIF SOAP response bodies against the official schemas.

Usage: onvif_validate.py FILE...   (each file one SOAP envelope; `-` = stdin)

For each envelope, the first child of the Body is validated against the
element the service's WSDL declares for it (faults against the SOAP
envelope). Schemas come from $ONVIF_SCHEMAS (default ../shared/onvif-schemas
relative to the repository); every import URL is mapped to the local copy,
since tests run offline. Prints one line per file and exits 1 if any fails.
"""
import os
import re
import warnings
import sys
import xml.etree.ElementTree as ET

import xmlschema

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCHEMAS = os.environ.get("ONVIF_SCHEMAS", os.path.join(REPO, "..", "shared", "onvif-schemas"))

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

# Body namespace -> WSDL (relative to SCHEMAS).
WSDL_BY_NAMESPACE = {
    "http://www.onvif.org/ver10/device/wsdl": "ver10/device/wsdl/devicemgmt.wsdl",
    "http://www.onvif.org/ver10/media/wsdl": "ver10/media/wsdl/media.wsdl",
    "http://www.onvif.org/ver20/media/wsdl": "ver20/media/wsdl/media.wsdl",
    "http://www.onvif.org/ver10/events/wsdl": "ver10/events/wsdl/event.wsdl",
    "http://docs.oasis-open.org/wsn/b-2": "ver10/events/wsdl/event.wsdl",
    "http://www.onvif.org/ver20/ptz/wsdl": "ver20/ptz/wsdl/ptz.wsdl",
    "http://www.onvif.org/ver20/imaging/wsdl": "ver20/imaging/wsdl/imaging.wsdl",
    "http://www.onvif.org/ver10/deviceIO/wsdl": "ver10/deviceio.wsdl",
}


def locations():
    ext = os.path.join(SCHEMAS, "external")
    mapping = {
        "http://www.w3.org/2005/05/xmlmime": os.path.join(ext, "xmlmime"),
        "https://www.w3.org/2005/05/xmlmime": os.path.join(ext, "xmlmime"),
        "http://www.w3.org/2003/05/soap-envelope": os.path.join(HERE, "soap12-envelope-stub.xsd"),
        "https://www.w3.org/2003/05/soap-envelope": os.path.join(HERE, "soap12-envelope-stub.xsd"),
        "http://docs.oasis-open.org/wsn/b-2.xsd": os.path.join(ext, "b-2.xsd"),
        "http://docs.oasis-open.org/wsn/t-1.xsd": os.path.join(ext, "t-1.xsd"),
        "http://docs.oasis-open.org/wsrf/bf-2.xsd": os.path.join(ext, "bf-2.xsd"),
        "http://docs.oasis-open.org/wsrf/r-2.xsd": os.path.join(ext, "r-2.xsd"),
        "http://www.w3.org/2005/08/addressing/ws-addr.xsd": os.path.join(ext, "ws-addr.xsd"),
        "http://www.w3.org/2006/03/addressing/ws-addr.xsd": os.path.join(ext, "ws-addr.xsd"),
        "https://www.w3.org/2004/08/xop/include": os.path.join(ext, "include"),
        "http://www.w3.org/2004/08/xop/include": os.path.join(ext, "include"),
        "http://www.w3.org/2001/xml.xsd": os.path.join(ext, "xml.xsd"),
        "http://docs.oasis-open.org/wsn/bw-2.wsdl": os.path.join(ext, "bw-2.wsdl"),
        "http://docs.oasis-open.org/wsrf/rw-2.wsdl": os.path.join(ext, "rw-2.wsdl"),
        "https://www.w3.org/2001/xml.xsd": os.path.join(ext, "xml.xsd"),
    }
    # xmlschema `locations` maps namespaces; `uri_mapper` maps URLs.
    return mapping


URL_MAP = locations()


def uri_mapper(uri):
    return URL_MAP.get(uri, uri)


_cache = {}

# Namespaces whose elements live in a plain XSD rather than a WSDL.
XSD_BY_NAMESPACE = {
    "http://docs.oasis-open.org/wsn/b-2": "external/b-2.xsd",
}


def schema_sources_of_wsdl(path):
    """The inline <xs:schema> documents of a WSDL's types section, as text,
    with the WSDL root's namespace declarations copied onto each (QName
    attribute values like type="tt:Foo" need them)."""
    text = open(path, encoding="utf-8").read()
    root_decls = dict(re.findall(r'xmlns:([A-Za-z0-9_.-]+)="([^"]+)"', text.split("<wsdl:types", 1)[0]))
    sources = []
    for m in re.finditer(r"<(xs|xsd):schema\b(.*?)>(.*?)</\1:schema>", text, re.S):
        prefix, attrs, inner = m.group(1), m.group(2), m.group(3)
        decls = "".join(
            f' xmlns:{k}="{v}"' for k, v in root_decls.items() if f"xmlns:{k}=" not in attrs
        )
        sources.append(f"<{prefix}:schema{attrs}{decls}>{inner}</{prefix}:schema>")
    return sources


def schema_for(namespace):
    rel = XSD_BY_NAMESPACE.get(namespace) or WSDL_BY_NAMESPACE.get(namespace)
    if rel is None:
        return None
    if rel not in _cache:
        path = os.path.join(SCHEMAS, rel)
        if rel.endswith(".xsd"):
            schema = xmlschema.XMLSchema11(path, uri_mapper=uri_mapper)
        else:
            base = os.path.dirname(path) + "/"
            sources = schema_sources_of_wsdl(path)
            schema = xmlschema.XMLSchema11(sources, base_url=base, uri_mapper=uri_mapper)
        _cache[rel] = schema
    return _cache[rel]


def validate_envelope(text):
    root = ET.fromstring(text)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns not in (SOAP12, SOAP11) or not root.tag.endswith("}Envelope"):
        return "not a SOAP envelope"
    body = root.find(f"{{{ns}}}Body")
    if body is None or len(body) == 0:
        return "no Body content"
    payload = body[0]
    tag_ns = payload.tag[1:].split("}")[0]
    if payload.tag == f"{{{ns}}}Fault":
        return None  # faults are checked for shape by the Rust tests
    schema = schema_for(tag_ns)
    if schema is None:
        return f"no schema known for namespace {tag_ns}"
    element = schema.elements.get(payload.tag) or schema.maps.elements.get(payload.tag)
    if element is None:
        return f"no element {payload.tag} in the schema"
    errors = list(element.iter_errors(payload, namespaces={}))
    if errors:
        return "; ".join(str(e.reason or e) for e in errors[:3])
    return None


def main(argv):
    warnings.simplefilter("ignore")
    failed = False
    for path in argv[1:]:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        try:
            err = validate_envelope(text)
        except Exception as e:  # a crash of the validator is a failure too
            err = f"{type(e).__name__}: {e}"
        print(f"{'OK  ' if err is None else 'FAIL'} {path}{'' if err is None else ': ' + err}")
        failed |= err is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
