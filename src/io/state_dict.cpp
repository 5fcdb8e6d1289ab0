// Conversion between birnn tensors and the raw safetensors records of io/safetensors.hpp.
#include <cstring>

#include "birnn/rnn.hpp"
#include "birnn/serialize.hpp"
#include "io/gru_form.hpp"
#include "io/safetensors.hpp"

namespace birnn {

namespace {

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal half: renormalise
      int e = -1;
      std::uint32_t m = mant;
      do { ++e; m <<= 1; } while (!(m & 0x400));
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (m & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

Tensor to_tensor(const io::StTensor& st, const std::string& path) {
  const Shape shape(st.shape.begin(), st.shape.end());
  switch (st.dtype) {
    case io::StDType::F32:
    case io::StDType::F64:
    case io::StDType::I64: {
      Tensor t = Tensor::empty(shape, st.dtype == io::StDType::F32 ? DType::f32 : st.dtype == io::StDType::F64 ? DType::f64 : DType::i64);
      if (!st.data.empty()) std::memcpy(t.raw_data(), st.data.data(), st.data.size());
      return t;
    }
    case io::StDType::F16:
    case io::StDType::BF16: {
      Tensor t = Tensor::empty(shape, DType::f32);
      for (std::int64_t i = 0; i < t.numel(); ++i) {
        std::uint16_t v;
        std::memcpy(&v, st.data.data() + 2 * i, 2);
        if (st.dtype == io::StDType::F16) {
          t.data<float>()[i] = half_to_float(v);
        } else {
          const std::uint32_t bits = static_cast<std::uint32_t>(v) << 16;
          std::memcpy(&t.data<float>()[i], &bits, 4);
        }
      }
      return t;
    }
    default:
      throw FormatError(path + ": tensor '" + st.name + "' has dtype " + io::dtype_name(st.dtype) +
                        "; birnn reads F32, F64, F16, BF16 and I64");
  }
}

}  // namespace

NamedTensors load_safetensors(const std::string& path) {
  const io::StFile f = io::read_safetensors(path);
  NamedTensors out;
  out.metadata = f.metadata;
  for (const auto& st : f.tensors) out.tensors[st.name] = to_tensor(st, path);
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  io::StFile f;
  f.metadata = metadata;
  for (const auto& [name, t] : tensors) {
    io::StTensor st;
    st.name = name;
    st.dtype = t.dtype() == DType::f32 ? io::StDType::F32 : t.dtype() == DType::f64 ? io::StDType::F64 : io::StDType::I64;
    st.shape.assign(t.shape().begin(), t.shape().end());
    st.data.resize(t.nbytes());
    if (t.nbytes()) std::memcpy(st.data.data(), t.raw_data(), t.nbytes());
    f.tensors.push_back(std::move(st));
  }
  io::write_safetensors(path, f);
}

namespace {

// A module's GRU form: "reset_after", "reset_before", or "" for a module that is no GRU.
std::string gru_form_of(const Module& m) {
  const auto* r = dynamic_cast<const RecurrentBase*>(&m);
  if (!r) return "";
  if (r->config().cell == CellKind::gru) return "reset_after";
  if (r->config().cell == CellKind::gru_reset_before) return "reset_before";
  return "";
}

// The two GRU forms share weight shapes, so only the file's note can tell them apart. Checked for every GRU in
// the module whose weights the file holds: a note for its prefix must name its form. Without one, a bare GRU's
// file is PyTorch's (its GRU is the reset_after form), and so is any file marked format=pt
// (tools/pytorch_to_safetensors.py, Hugging Face's safetensors); a GRU inside a model in another file without
// notes (birnn before they were written per submodule) is not checked.
void check_gru_forms(const Module& module, const NamedTensors& nt, const std::string& path) {
  const auto format = nt.metadata.find("format");
  const bool from_pytorch = format != nt.metadata.end() && format->second == "pt";
  for (const auto& [prefix, m] : module.named_modules()) {
    const std::string have = gru_form_of(*m);
    if (have.empty() || !nt.tensors.count(prefix + "weight_ih_l0")) continue;  // no GRU, or none of its weights
    const auto note = nt.metadata.find(io::gru_form_key(prefix));
    if (note == nt.metadata.end() && !prefix.empty() && !from_pytorch) continue;
    const std::string made_for = note == nt.metadata.end() ? "reset_after" : note->second;
    if (made_for == have) continue;
    const std::string gru = prefix.empty() ? "GRU" : "GRU \"" + prefix + "\"";
    const std::string why_assumed = " (no " + io::gru_form_key(prefix) + " note: PyTorch's GRU)";
    throw StateDictError(path + ": the " + gru + " weights were made for the " + made_for + " form" +
                         (note == nt.metadata.end() ? why_assumed : "") + ", but this " + gru + " has reset_after(" +
                         (have == "reset_after" ? "true" : "false") + "); build it with reset_after(" +
                         (made_for == "reset_after" ? "true" : "false") + ")");
  }
}

}  // namespace

void save(const Module& module, const std::string& path, const std::map<std::string, std::string>& metadata) {
  auto md = metadata;
  for (const auto& [prefix, m] : module.named_modules())
    if (const std::string form = gru_form_of(*m); !form.empty()) md[io::gru_form_key(prefix)] = form;
  save_safetensors(path, module.state_dict(), md);
}

NamedTensors load(Module& module, const std::string& path, bool strict) {
  NamedTensors nt = load_safetensors(path);
  check_gru_forms(module, nt, path);
  try {
    module.load_state_dict(nt.tensors, strict);
  } catch (const StateDictError& e) {
    throw StateDictError(path + ": " + e.what());
  }
  return nt;
}

}  // namespace birnn
