"""SEPA Instant credit transfers (SCT Inst) in pain.001.001.09.

The EPC's SCT Inst implementation guidelines (and the German DK's) ask for an instant
transfer in the payment information's type: service level SEPA, local instrument INST:

    <PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl><LclInstrm><Cd>INST</Cd></LclInstrm></PmtTpInf>

sepaxml (2.7) writes and validates pain.001.001.09 but has no option for the local
instrument of a transfer yet (an open pull request adds an "instant" flag): its document
gets the element here, in the place the schema orders it (after SvcLvl); the payout run
checks the result against the official schema. When sepaxml releases the flag, this
module becomes that one config key."""

from __future__ import annotations

import xml.etree.ElementTree as ET

INSTANT_SCHEMA = "pain.001.001.09"
_NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{INSTANT_SCHEMA}"


def as_instant(document: bytes) -> bytes:
    """The pain.001.001.09 `document` with local instrument INST in every payment
    information block."""
    ET.register_namespace("", _NAMESPACE)
    root = ET.fromstring(document)
    for payment_type in root.iter(f"{{{_NAMESPACE}}}PmtTpInf"):
        instrument = ET.Element(f"{{{_NAMESPACE}}}LclInstrm")
        ET.SubElement(instrument, f"{{{_NAMESPACE}}}Cd").text = "INST"
        after = [index for index, child in enumerate(payment_type)
                 if child.tag in (f"{{{_NAMESPACE}}}InstrPrty", f"{{{_NAMESPACE}}}SvcLvl")]
        payment_type.insert(after[-1] + 1 if after else 0, instrument)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
