"""Optional LLM synthesis against a fake OpenAI-compatible server started here.

The server answers with scripted replies chosen by a tag in the question, and
records every request, so the tests see what a user (or the endpoint's owner)
would see: the verified answer, what was sent, and the error messages."""
from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb.core.errors import LLMError, SettingsError
from kb.answer.llm import MARK, NO_ANSWER, OpenAICompatibleLLM, synthesize, synthesize_or_error

KEY = "sk-test-do-not-leak-123"
MODEL = "test-model"

# Replies written against the three records of the `records` fixture, in this order:
# [1] 熊本市 trial リソース調査 (約120万円), [2] 熊本市 step 5 lesson (18団体 / 16団体), [3] 熊本市 step 3 lesson (37.4%)
GOOD = """### (イ) 準備段階
- 熊本市は市民アンケートで初めて孤独・孤立に関する設問を扱い、37.4%の市民が孤独感を感じていることが分かりました。[1]
- 民間団体の活動実態を把握するためにリソース調査を初めて実施し、調査費用は約120万円でした。[2]
- リソース調査の結果を基に18団体に声掛けし、新たに16団体がPFに参加しました。[3]"""
GOOD_REPLY = GOOD.replace("[1]", "[@3]").replace("[2]", "[@1]").replace("[3]", "[@2]").replace("@", "")
UNCITED = "熊本市はPFの参加団体を倍増させました。"
WRONG_NUMBER = "リソース調査の調査費用は約150万円でした。[1]"
UNKNOWN = "リソース調査の結果は国の白書にも掲載されました。[99]"

SCRIPTS = {
    "#good": GOOD_REPLY,
    "#uncited": GOOD_REPLY + "\n" + UNCITED,
    "#wrong-number": GOOD_REPLY + "\n- " + WRONG_NUMBER,
    "#unknown-citation": GOOD_REPLY + "\n- " + UNKNOWN,
    "#empty-section": GOOD_REPLY + "\n\n### (エ) 自走段階\n- " + UNCITED,
    "#no-answer": f"{NO_ANSWER}。",
    "#headings": "### 熊本市の事例\n" + GOOD_REPLY.split("\n", 1)[1] + "\n\n### 2030年までの計画\n- " + WRONG_NUMBER,
}


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client gave up on #slow: expected
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
        question = body["messages"][-1]["content"]
        if "#error500" in question:  # a server that echoes the request headers in its error
            return self._send(500, json.dumps({"error": "boom", "echo": self.headers.get("Authorization")}))
        if "#slow" in question:
            time.sleep(1.5)
            return self._send(200, _completion("遅い応答です。"))
        if "#garbage" in question:
            return self._send(200, "<html>Bad Gateway</html>", "text/html")
        if "#no-choices" in question:
            return self._send(200, json.dumps({"object": "chat.completion", "choices": []}))
        if "#stream" in question and body.get("stream"):
            chunks = ["熊本市は", "18団体に", "声掛けしました。[1]"]
            sse = "".join(f"data: {json.dumps({'choices': [{'delta': {'content': c}}]}, ensure_ascii=False)}\n\n"
                          for c in chunks) + "data: [DONE]\n\n"
            return self._send(200, sse, "text/event-stream")
        reply = next((r for tag, r in SCRIPTS.items() if tag in question), "想定外の質問です。")
        return self._send(200, _completion(reply))

    def _send(self, status: int, text: str, ctype: str = "application/json"):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _completion(content: str) -> str:
    return json.dumps({"id": "x", "object": "chat.completion", "model": MODEL,
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop"}]}, ensure_ascii=False)


@pytest.fixture(scope="module")
def server():
    srv = FakeOpenAI()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def fake(server):
    server.requests.clear()
    return server


@pytest.fixture
def settings(fake, tmp_path):
    from kb.core.settings import Settings
    return Settings(data_dir=tmp_path, llm_base_url=fake.base_url, llm_model=MODEL, llm_api_key=KEY, llm_timeout=5)


@pytest.fixture(scope="module")
def records(corpus_parsed):
    """Real records, so the grounding check is real: a trial, a step-5 and a step-3 lesson of 熊本市."""
    kuma = [r for r in corpus_parsed.records if r.city == "熊本市"]
    trial = next(r for r in kuma if r.kind == "trial" and "リソース調査" in r.title)
    step5 = next(r for r in kuma if r.kind == "lesson" and r.step == "5" and "リソース調査" in r.title)
    step3 = next(r for r in kuma if r.kind == "lesson" and r.step == "3")
    return [trial, step5, step3]


QUESTION = "熊本市はどのように関係団体を集めましたか？"


def test_good_answer_passes_unchanged_with_markers_in_reading_order(settings, records):
    a = synthesize(settings, QUESTION + " #good", records)
    assert a.text == GOOD  # same sentences; [3][1][2] renumbered to [1][2][3] in reading order
    assert a.citations == (records[2].id, records[0].id, records[1].id)
    v = a.verification
    assert v["ok"] is True and v["checked"] == v["supported"] == 4 and v["removed"] == [] and v["model"] == MODEL
    assert a.raw == GOOD_REPLY and not a.no_evidence and not a.error


def test_records_numbering_can_be_kept_for_a_caller_showing_its_own_list(settings, records):
    a = synthesize(settings, QUESTION + " #unknown-citation", records, renumber=False)
    assert a.text == GOOD_REPLY  # [3][1][2] as written: [n] is records[n-1]; the [99] sentence is gone
    assert a.citations == tuple(r.id for r in records)


def test_request_carries_model_key_temperature_and_numbered_records(settings, records, fake):
    synthesize(settings, QUESTION + " #good", records)
    (req,) = fake.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    body = req["json"]
    assert body["model"] == MODEL and body["temperature"] == 0 and body["stream"] is False
    system, user = body["messages"]
    assert system["role"] == "system" and "[1]" in system["content"] and NO_ANSWER in system["content"]
    assert user["role"] == "user" and QUESTION in user["content"]
    for n, r in enumerate(records, 1):
        assert f"[{n}] {r.citation_label()}" in user["content"]
    assert "約120万円" in user["content"] and "37.4%" in user["content"]
    assert "[4]" not in user["content"]


def test_no_key_means_no_authorization_header(settings, records, fake):
    synthesize(settings.with_(llm_api_key=""), QUESTION + " #good", records)
    assert "Authorization" not in fake.requests[0]["headers"]


def test_uncited_sentence_is_removed(settings, records):
    a = synthesize(settings, QUESTION + " #uncited", records)
    assert a.text == GOOD and "倍増" not in a.text
    (removed,) = a.verification["removed"]
    assert removed["sentence"] == UNCITED and removed["reason"] == "no citation" and removed["cited"] == []
    assert a.verification["ok"] is False and a.verification["checked"] == 5 and a.verification["supported"] == 4


def test_wrong_number_is_removed_with_the_number_named(settings, records):
    a = synthesize(settings, QUESTION + " #wrong-number", records)
    assert "150" not in a.text and a.text == GOOD
    (removed,) = a.verification["removed"]
    assert removed["reason"] == "numbers not in cited records" and removed["missing_numbers"] == ["150"]
    assert removed["cited"] == [1]


def test_wrong_number_is_kept_and_flagged_with_mark(settings, records):
    a = synthesize(settings, QUESTION + " #wrong-number", records, mark=True)
    assert f"- リソース調査の調査費用は約150万円でした。[2]{MARK}" in a.text  # [1] of the reply is [2] here
    assert a.verification["removed"] == [] and len(a.verification["marked"]) == 1
    assert a.verification["marked"][0]["missing_numbers"] == ["150"] and a.verification["ok"] is False


def test_citation_of_a_record_that_does_not_exist_is_removed(settings, records):
    a = synthesize(settings, QUESTION + " #unknown-citation", records)
    assert "白書" not in a.text and "[99]" not in a.text
    (removed,) = a.verification["removed"]
    assert removed["reason"] == "unknown citation [99]" and removed["cited"] == [99]
    assert len(a.citations) == 3


def test_heading_left_without_sentences_is_dropped(settings, records):
    a = synthesize(settings, QUESTION + " #empty-section", records)
    assert "自走段階" not in a.text and a.text == GOOD


def test_headings_need_no_citation_but_their_numbers_must_exist(settings, records):
    a = synthesize(settings, QUESTION + " #headings", records, mark=True)
    assert a.text.startswith("### 熊本市の事例\n- ")  # a heading without numbers is structure, kept
    assert "### 2030年までの計画" + MARK in a.text
    reasons = {m["sentence"]: m["reason"] for m in a.verification["marked"]}
    assert reasons == {"2030年までの計画": "numbers not in any record", WRONG_NUMBER: "numbers not in cited records"}


def test_reply_styles_models_use_are_understood():
    from kb.answer.llm_verify import markers_in, split_sentences
    assert split_sentences("調査した[1]。次に声掛けした。［２，３］最後に報告した") == [
        "調査した[1]。", "次に声掛けした。[2,3]", "最後に報告した"]
    assert markers_in("PFを立ち上げた[1、3][3]。") == (1, 3)
    assert split_sentences("割合は37.4%だった。[1]") == ["割合は37.4%だった。[1]"]  # a decimal point ends nothing


def test_no_answer_reply_is_reported_as_no_evidence(settings, records):
    a = synthesize(settings, "来年度の国の予算額は？ #no-answer", records)
    assert a.text == f"{NO_ANSWER}。" and a.no_evidence and a.citations == ()
    assert a.verification["ok"] is True


def test_no_records_means_no_call(settings, fake):
    a = synthesize(settings, QUESTION + " #good", [])
    assert a.no_evidence and NO_ANSWER in a.text and fake.requests == []


def test_without_base_url_nothing_is_called(settings, records, fake):
    off = settings.with_(llm_base_url="")
    assert not off.llm_enabled
    with pytest.raises(SettingsError, match="PFKB_LLM_BASE_URL"):
        synthesize(off, QUESTION + " #good", records)
    a = synthesize_or_error(off, QUESTION + " #good", records)
    assert a.text == "" and "PFKB_LLM_BASE_URL" in a.error and a.verification["error"] == a.error
    assert fake.requests == []


def _assert_clear(err: LLMError, url: str, *needles: str):
    msg = str(err)
    assert url in msg and KEY not in msg
    for n in needles:
        assert n in msg


def test_server_error_names_url_and_status_but_never_the_key(settings, records, fake):
    with pytest.raises(LLMError) as e:
        synthesize(settings, QUESTION + " #error500", records)
    _assert_clear(e.value, fake.base_url + "/chat/completions", "HTTP 500")
    assert "***" in str(e.value)  # the echoed header was scrubbed


def test_timeout_names_the_setting(settings, records, fake):
    with pytest.raises(LLMError) as e:
        synthesize(settings.with_(llm_timeout=0.3), QUESTION + " #slow", records)
    _assert_clear(e.value, fake.base_url, "0.3 秒", "PFKB_LLM_TIMEOUT", "timed out")


@pytest.mark.parametrize("tag, needle", [("#garbage", "JSON"), ("#no-choices", "choices[0].message.content")])
def test_malformed_reply_is_an_llm_error(settings, records, fake, tag, needle):
    with pytest.raises(LLMError) as e:
        synthesize(settings, QUESTION + " " + tag, records)
    _assert_clear(e.value, fake.base_url, needle)


def test_unreachable_endpoint_is_an_llm_error(settings, records):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket closes
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(LLMError) as e:
        synthesize(settings.with_(llm_base_url=url), QUESTION, records)
    _assert_clear(e.value, url, "接続できません", "PFKB_LLM_BASE_URL")


def test_failure_is_reported_not_raised_by_synthesize_or_error(settings, records):
    a = synthesize_or_error(settings, QUESTION + " #error500", records)
    assert a.text == "" and a.citations == () and "HTTP 500" in a.error
    assert a.verification["error"] == a.error and a.verification["ok"] is False and KEY not in a.error


def test_base_url_without_scheme_is_a_settings_error(settings, records, fake):
    with pytest.raises(SettingsError, match="http://"):
        synthesize(settings.with_(llm_base_url="127.0.0.1:8080/v1"), QUESTION, records)
    assert fake.requests == []


def test_llama_index_interface_complete_and_stream(settings, fake):
    llm = OpenAICompatibleLLM.from_settings(settings)
    assert llm.metadata.model_name == MODEL and llm.metadata.is_chat_model
    assert llm.complete("#good").text == GOOD_REPLY
    parts = list(llm.stream_complete("#stream"))
    assert [p.delta for p in parts] == ["熊本市は", "18団体に", "声掛けしました。[1]"]
    assert parts[-1].text == "熊本市は18団体に声掛けしました。[1]"
    assert fake.requests[-1]["json"]["stream"] is True
    assert KEY not in repr(llm)


def test_a_word_the_cited_text_holds_verbatim_is_supported_however_sudachi_cut_it():
    from kb.answer.grounding import GroundingChecker
    from kb.core.records import Record, Source

    def rec(text: str) -> Record:
        return Record(id="r", kind="lesson", city=None, phase=None, step=None, scope=None, title="図表",
                      text=text, source=Source(document="d", section="1"))
    g = GroundingChecker()
    assert g.check("会議のイメージ: 出所)KVOADホームページ", [rec("会議のイメージ\n出所)KVOADホームページ")]).ok
    unsupported = g.check("横浜市のホームページ", [rec("会議を開いた")])
    assert not unsupported.ok and "ホームページ" in unsupported.missing_words
