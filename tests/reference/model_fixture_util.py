"""Writing the ready models' PyTorch fixtures, shared by the make_model_*.py scripts: write a file and read it
back to check every value, write a script's whole set, remove the stale files of its prefix, sum the bytes.

Imported (not run) by those scripts, which put tests/reference/ on sys.path first.
"""

import os

from make_fixtures import read_safetensors, write_safetensors


def fixture_tensors(model, data):
    """A fixture's tensors in file order: the model's state_dict, then data [(name, tensor or None)] without the
    None ones, then "grad.<name>" of every parameter (after loss.backward()); all detached."""
    tensors = [(k, v.detach()) for k, v in model.state_dict().items()]
    tensors += [(n, t.detach()) for n, t in data if t is not None]
    tensors += [("grad." + k, p.grad.detach()) for k, p in model.named_parameters()]
    return tensors


def write_checked(path, tensors, metadata, max_bytes=None):
    """Writes tensors [(name, tensor)] and metadata {key: value} to path (safetensors), then re-reads the file:
    the metadata (as strings), each tensor's shape and values must come back as written, and the file must be
    smaller than max_bytes (if given)."""
    write_safetensors(path, tensors, metadata)
    meta2, back = read_safetensors(path)
    assert meta2 == {k: str(v) for k, v in metadata.items()}, path
    for n, t in tensors:
        _, shape, vals = back[n]
        assert shape == list(t.shape), n
        assert vals == t.detach().reshape(-1).tolist(), n
    if max_bytes is not None:
        assert os.path.getsize(path) < max_bytes, path


def write_fixture_files(out_dir, prefix, jobs, max_bytes=None):
    """jobs: [(name, make)] with make() -> (tensors, metadata). Writes each as out_dir/<prefix><name>.safetensors
    (write_checked), then removes the stale <prefix>*.safetensors files. Returns the set of file names written."""
    os.makedirs(out_dir, exist_ok=True)
    written = set()
    for name, make in jobs:
        tensors, metadata = make()
        fname = prefix + name + ".safetensors"
        write_checked(os.path.join(out_dir, fname), tensors, metadata, max_bytes)
        written.add(fname)
    remove_stale(out_dir, prefix, written)
    return written


def write_fixtures_and_state_dict(out_dir, prefix, configs, generate, state_dict_config, describe, max_bytes=None):
    """configs: {name: cfg}; generate(name, cfg) -> (model, tensors, metadata). Writes each configuration as
    write_fixture_files does, plus <prefix>state_dict.safetensors: the parameters of state_dict_config's model
    alone in float32, as a user exports `model.float().state_dict()` (metadata "format": "pt", "fixture": that
    configuration's file stem). describe(name, tensors) runs after each configuration is generated. Returns
    the set of file names written."""
    models = {}

    def make(name, cfg):
        model, tensors, metadata = generate(name, cfg)
        models[name] = model
        describe(name, tensors)
        return tensors, metadata

    def state_dict():
        sd = [(k, v.float()) for k, v in models[state_dict_config].state_dict().items()]
        return sd, {"format": "pt", "fixture": prefix + state_dict_config}

    jobs = [(n, lambda n=n, c=c: make(n, c)) for n, c in configs.items()]
    jobs.append(("state_dict", state_dict))
    return write_fixture_files(out_dir, prefix, jobs, max_bytes)


def remove_stale(out_dir, prefix, written, say=True):
    """Removes out_dir's <prefix>*.safetensors files that are not in `written` (file names)."""
    for fname in sorted(os.listdir(out_dir)):
        if fname.startswith(prefix) and fname.endswith(".safetensors") and fname not in written:
            os.remove(os.path.join(out_dir, fname))
            if say:
                print("removed stale", fname)


def total_bytes(out_dir, written):
    """The summed size of the files `written` (names) in out_dir."""
    return sum(os.path.getsize(os.path.join(out_dir, f)) for f in written)
