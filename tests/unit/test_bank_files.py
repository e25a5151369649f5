"""Reading the bank's status files: pain.002 and camt.054, valid per the official ISO 20022
schemas, each transfer's outcome and the bank's reason; anything else refused whole,
entities above all."""

from decimal import Decimal

import pytest

from claims.core.bank_reasons import REASONS, reason_in_words
from claims.processing.bank_files import BankFileError, Outcome, read_bank_file
from tools.bank_files import Entry, debit_credit_notification, payment_status_report


def test_a_status_report_gives_each_transfers_outcome_and_reason() -> None:
    transfers, batches = read_bank_file(payment_status_report([
        ("EFF-CLAIM-1", "RJCT", "AC04"), ("EFF-CLAIM-2-1", "ACSC", None),
        ("EFF-CLAIM-3", "ACTC", None), ("EFF-CLAIM-4", "ACCP", None)]))
    assert [(t.end_to_end_id, t.outcome, t.reason_code) for t in transfers] == [
        ("EFF-CLAIM-1", Outcome.RETURNED, "AC04"),
        ("EFF-CLAIM-2-1", Outcome.ACCEPTED, None),
        ("EFF-CLAIM-3", Outcome.UNDECIDED, None),  # only technically checked
        ("EFF-CLAIM-4", Outcome.ACCEPTED, None)]
    assert batches == []
    assert all(t.line > 0 for t in transfers)


BATCH_REFUSED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>S-2</MsgId><CreDtTm>2026-03-10T08:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>RUN-7</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>
  </OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>B-1</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>
   <StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>
   <TxInfAndSts><OrgnlEndToEndId>EFF-CLAIM-9</OrgnlEndToEndId></TxInfAndSts>
  </OrgnlPmtInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>B-2</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>
   <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>
  </OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>
"""


def test_a_batchs_status_holds_for_its_transfers_and_a_bare_refusal_is_named() -> None:
    transfers, batches = read_bank_file(BATCH_REFUSED)
    assert [(t.end_to_end_id, t.outcome, t.reason_code) for t in transfers] == [
        ("EFF-CLAIM-9", Outcome.RETURNED, "FF01")]
    assert [(b.batch_id, b.reason_code) for b in batches] == [("B-2", "AM04")]


def test_a_notification_tells_transfers_booked_from_transfers_returned() -> None:
    transfers, _batches = read_bank_file(debit_credit_notification([
        Entry("EFF-CLAIM-1", Decimal("25.00")),
        Entry("EFF-CLAIM-2", Decimal("12.50"), side="CRDT", reason="AC01"),
        Entry("EFF-CLAIM-3", Decimal("7.00"), status="PDNG")]))
    assert [(t.end_to_end_id, t.outcome, t.reason_code) for t in transfers] == [
        ("EFF-CLAIM-1", Outcome.ACCEPTED, None),
        ("EFF-CLAIM-2", Outcome.RETURNED, "AC01"),
        ("EFF-CLAIM-3", Outcome.UNDECIDED, None)]


CAMT_054_08 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>N-8</MsgId><CreDtTm>2026-03-10T08:00:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N-8</Id><CreDtTm>2026-03-10T08:00:00</CreDtTm>
   <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
   <Ntry><Amt Ccy="EUR">25.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn>
    </BkTxCd>
    <NtryDtls><TxDtls><Refs><EndToEndId>EFF-CLAIM-5</EndToEndId></Refs>
     <RtrInf><Rsn><Cd>MD07</Cd></Rsn></RtrInf></TxDtls></NtryDtls>
   </Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_the_newer_notification_is_read_too() -> None:
    transfers, _batches = read_bank_file(CAMT_054_08)
    assert [(t.end_to_end_id, t.outcome, t.reason_code) for t in transfers] == [
        ("EFF-CLAIM-5", Outcome.RETURNED, "MD07")]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">&d;</Document>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>&secret;</MsgId><CreDtTm>2026-03-10T08:00:00</CreDtTm></GrpHdr>
</CstmrPmtStsRpt></Document>
"""


@pytest.mark.parametrize(("data", "why"), [
    (BILLION_LAUGHS, "DOCTYPE"), (EXTERNAL_ENTITY, "DOCTYPE"),
    (b"", "empty"), (b"%PDF-1.4 not xml", "not well-formed"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "neither"),
    # Well-formed, but no group header: the schema refuses it.
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt/>'
     b"</Document>", "not valid pain.002.001.03"),
    (payment_status_report([("EFF-CLAIM-1", "NOPE", None)]), "not valid"),
])
def test_anything_but_a_valid_bank_file_is_refused_whole(data: bytes, why: str) -> None:
    with pytest.raises(BankFileError, match=why):
        read_bank_file(data)


def test_every_reason_is_in_words_in_both_languages_and_no_code_stands_alone() -> None:
    for code in ("AC01", "AC04", "AC06", "AG01", "AG02", "AM04", "AM05", "BE04", "MD07",
                 "MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04", "FF01", "TM01",
                 "CUST", "DUPL", "FOCR", "SL01", "NARR"):
        english, german = REASONS[code]
        assert code not in english and code not in german
    assert reason_in_words("AC04", "en") == "the account is closed"
    assert reason_in_words("ac04", "de") == "das Konto ist aufgelöst"
    assert reason_in_words("XY99", "en") == "the bank gave reason XY99"
    assert reason_in_words("XY99", "de") == "die Bank hat den Grund XY99 angegeben"
    assert reason_in_words(None, "en") == "the bank gave no reason"
