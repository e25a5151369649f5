"""Reading the bank's feedback on our transfers: payment status reports (pain.002.001.03)
and debit/credit notifications (camt.054.001.02 and .08), checked against the official
ISO 20022 schemas shipped in claims/processing/iso20022/.

What comes back is, per transfer (its end-to-end id, as our pain.001 named it), what the
bank says happened: accepted, returned or refused (with the bank's reason code), or
nothing final yet. A file that is not XML, carries a DOCTYPE (entities: the XXE and
"billion laughs" attacks), is of another kind or fails its schema is refused whole."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from claims.core.problems import Problem, problem
from claims.processing import iso20022

ISO = "urn:iso:std:iso:20022:tech:xsd:"
PAIN_002 = ("pain.002.001.03",)
CAMT_054 = ("camt.054.001.02", "camt.054.001.08")
# pain.002 transaction statuses: accepted (at some stage) or refused; the rest (ACTC,
# PDNG, RCVD) say nothing final about the money.
ACCEPTED_STATUSES = frozenset({"ACCP", "ACSC", "ACSP", "ACWC"})
REFUSED_STATUSES = frozenset({"RJCT"})


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    RETURNED = "returned"    # returned after payment, or refused before it
    UNDECIDED = "undecided"  # pending, or only technically checked


@dataclass(frozen=True)
class TransferStatus:
    end_to_end_id: str
    outcome: Outcome
    reason_code: str | None
    line: int  # where in the file, for the report


@dataclass(frozen=True)
class BatchStatus:
    """A refusal of a whole batch that names none of its transfers."""

    batch_id: str
    reason_code: str | None
    line: int


class BankFileError(ValueError):
    """The file cannot be read as a bank status file; nothing of it is applied. The reason
    is a Problem: English, and translatable by the web layer."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason)
        self.reason = reason


def read_bank_file(data: bytes) -> tuple[list[TransferStatus], list[BatchStatus]]:
    """The transfers the file speaks of, in file order; BankFileError if it is not a valid
    pain.002 or camt.054 file."""
    if not data.strip():
        raise BankFileError(problem("the file is empty"))
    try:
        tree = etree.ElementTree(etree.fromstring(data, iso20022.safe_parser()))
    except etree.XMLSyntaxError as error:
        raise BankFileError(problem("not well-formed XML: %(detail)s", detail=error.msg)) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise BankFileError(
            problem("a bank file has no DOCTYPE (entity declarations are refused)"))
    root = tree.getroot()
    match = re.fullmatch(r"\{" + re.escape(ISO) + r"([a-z]{4}\.\d{3}\.\d{3}\.\d{2})\}Document",
                         str(root.tag))
    message = match.group(1) if match else None
    if message not in PAIN_002 + CAMT_054:
        raise BankFileError(problem("neither a payment status report (pain.002.001.03) nor a "
                                    "notification (camt.054.001.02 or .08)"))
    try:
        iso20022.check(tree, message)
    except iso20022.SchemaError as error:
        # The validator's words about the element stay as they are, as XML's do above.
        raise BankFileError(problem("not valid %(message)s: line %(line)s: %(detail)s",
                                    message=message, line=error.line,
                                    detail=error.detail)) from None
    ns = {"d": ISO + message}
    if message in PAIN_002:
        return _pain_002(root, ns)
    return _camt_054(root, ns, new_status=message != "camt.054.001.02"), []


def _text(element: etree._Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.findtext(path, namespaces=ns)
    return found.strip() if found and found.strip() else None


def _outcome(status: str | None) -> Outcome:
    if status in ACCEPTED_STATUSES:
        return Outcome.ACCEPTED
    if status in REFUSED_STATUSES:
        return Outcome.RETURNED
    return Outcome.UNDECIDED


def _pain_002(root: etree._Element, ns: dict[str, str],
              ) -> tuple[list[TransferStatus], list[BatchStatus]]:
    """A status given for a whole group or batch holds for each of its transfers that
    has none of its own."""
    report = root.find("d:CstmrPmtStsRpt", ns)
    group = report.find("d:OrgnlGrpInfAndSts", ns)
    group_status = _text(group, "d:GrpSts", ns)
    group_reason = _text(group, "d:StsRsnInf/d:Rsn/d:Cd", ns)
    transfers, batches = [], []
    for batch in report.iterfind("d:OrgnlPmtInfAndSts", ns):
        batch_status = _text(batch, "d:PmtInfSts", ns) or group_status
        batch_reason = _text(batch, "d:StsRsnInf/d:Rsn/d:Cd", ns) or group_reason
        transactions = batch.findall("d:TxInfAndSts", ns)
        if not transactions and batch_status in REFUSED_STATUSES:
            batches.append(BatchStatus(_text(batch, "d:OrgnlPmtInfId", ns) or "?",
                                       batch_reason, batch.sourceline or 0))
        for transaction in transactions:
            end_to_end = _text(transaction, "d:OrgnlEndToEndId", ns)
            if end_to_end is None:
                continue
            own_status = _text(transaction, "d:TxSts", ns)
            status = own_status or batch_status
            reason = _text(transaction, "d:StsRsnInf/d:Rsn/d:Cd", ns) or (
                None if own_status else batch_reason)
            transfers.append(TransferStatus(end_to_end, _outcome(status), reason,
                                            transaction.sourceline or 0))
    if not report.findall("d:OrgnlPmtInfAndSts", ns) and group_status in REFUSED_STATUSES:
        batches.append(BatchStatus(_text(group, "d:OrgnlMsgId", ns) or "?", group_reason,
                                   group.sourceline or 0))
    return transfers, batches


def _camt_054(root: etree._Element, ns: dict[str, str], *,
              new_status: bool) -> list[TransferStatus]:
    """A debit of ours booked: the transfer left the account. A credit bearing one of our
    end-to-end ids, a reversal, or return information: the money came back."""
    transfers = []
    for entry in root.iterfind("d:BkToCstmrDbtCdtNtfctn/d:Ntfctn/d:Ntry", ns):
        status = _text(entry, "d:Sts/d:Cd" if new_status else "d:Sts", ns)
        entry_side = _text(entry, "d:CdtDbtInd", ns)
        reversal = _text(entry, "d:RvslInd", ns) in ("true", "1")
        for details in entry.iterfind("d:NtryDtls/d:TxDtls", ns):
            end_to_end = _text(details, "d:Refs/d:EndToEndId", ns)
            if end_to_end is None or end_to_end == "NOTPROVIDED":
                continue
            side = _text(details, "d:CdtDbtInd", ns) or entry_side
            reason = _text(details, "d:RtrInf/d:Rsn/d:Cd", ns)
            returned = details.find("d:RtrInf", ns) is not None or reversal or side == "CRDT"
            if status == "INFO" or (status == "PDNG" and not returned):
                outcome = Outcome.UNDECIDED
            else:
                outcome = Outcome.RETURNED if returned else Outcome.ACCEPTED
            transfers.append(TransferStatus(end_to_end, outcome, reason,
                                            details.sourceline or 0))
    return transfers

