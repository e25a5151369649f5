"""Bank files as a bank would send them, for demos, benches and tests: a payment status
report (pain.002.001.03) and a debit/credit notification (camt.054.001.02) about our
transfers, each valid against the official schema."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

CREATED = "2026-03-10T08:00:00"
ACCOUNT = "DE89370400440532013000"


@dataclass(frozen=True)
class Entry:
    """One booking on the operator's account: DBIT our transfer leaving, CRDT it coming
    back (a return, with the bank's reason code)."""

    end_to_end_id: str
    amount: Decimal
    side: str = "DBIT"
    reason: str | None = None
    status: str = "BOOK"


def payment_status_report(statuses: Iterable[tuple[str, str, str | None]], *,
                          message_id: str = "STATUS-1", created: str = CREATED,
                          original_message_id: str = "RUN-1",
                          original_batch_id: str = "BATCH-1") -> bytes:
    """A pain.002.001.03 with one batch: (end-to-end id, TxSts, reason code or None).
    The original ids name the pain.001 reported on (its GrpHdr/MsgId and PmtInfId)."""
    transactions = "".join(
        f"<TxInfAndSts><StsId>S{index}</StsId>"
        f"<OrgnlEndToEndId>{escape(end_to_end)}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else "")
        + "</TxInfAndSts>\n"
        for index, (end_to_end, status, reason) in enumerate(statuses))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">\n'
        f"<CstmrPmtStsRpt><GrpHdr><MsgId>{escape(message_id)}</MsgId>"
        f"<CreDtTm>{created}</CreDtTm></GrpHdr>\n"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{escape(original_message_id)}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId></OrgnlGrpInfAndSts>\n"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{escape(original_batch_id)}</OrgnlPmtInfId>\n"
        f"{transactions}"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n").encode()


def debit_credit_notification(entries: Iterable[Entry], *,
                              message_id: str = "NOTE-1") -> bytes:
    """A camt.054.001.02 on the operator's account, one entry per transfer."""
    body = "".join(_entry(index, entry) for index, entry in enumerate(entries))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">\n'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{escape(message_id)}</MsgId>"
        f"<CreDtTm>{CREATED}</CreDtTm></GrpHdr>\n"
        f"<Ntfctn><Id>{escape(message_id)}</Id><CreDtTm>{CREATED}</CreDtTm>"
        f"<Acct><Id><IBAN>{ACCOUNT}</IBAN></Id></Acct>\n{body}"
        "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n").encode()


def _entry(index: int, entry: Entry) -> str:
    # ESCT: a SEPA credit transfer sent; RRTN: one that came back.
    family = "RRTN" if entry.side == "CRDT" else "ESCT"
    returned = (f"<RtrInf><Rsn><Cd>{entry.reason}</Cd></Rsn></RtrInf>"
                if entry.side == "CRDT" and entry.reason else "")
    return (
        f"<Ntry><NtryRef>E{index}</NtryRef>"
        f'<Amt Ccy="EUR">{entry.amount:.2f}</Amt><CdtDbtInd>{entry.side}</CdtDbtInd>'
        f"<Sts>{entry.status}</Sts><BookgDt><Dt>2026-03-10</Dt></BookgDt>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd>"
        f"<SubFmlyCd>{family}</SubFmlyCd></Fmly></Domn></BkTxCd>\n"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{escape(entry.end_to_end_id)}</EndToEndId>"
        f"</Refs>{returned}</TxDtls></NtryDtls></Ntry>\n")
