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
const char* const kGruForm = io::kGruFormKey;
}

void save(const Module& module, const std::string& path, const std::map<std::string, std::string>& metadata) {
  auto md = metadata;
  if (auto* r = dynamic_cast<const RecurrentBase*>(&module)) {
    if (r->config().cell == CellKind::gru) md[kGruForm] = "reset_after";
    if (r->config().cell == CellKind::gru_reset_before) md[kGruForm] = "reset_before";
  }
  save_safetensors(path, module.state_dict(), md);
}

NamedTensors load(Module& module, const std::string& path, bool strict) {
  NamedTensors nt = load_safetensors(path);
  // The two GRU forms share weight shapes, so only the file's note can tell them apart. A file
  // without the note comes from PyTorch, whose GRU is the reset_after form.
  if (auto* r = dynamic_cast<const RecurrentBase*>(&module)) {
    const CellKind cell = r->config().cell;
    if (cell == CellKind::gru || cell == CellKind::gru_reset_before) {
      auto it = nt.metadata.find(kGruForm);
      const std::string form = it == nt.metadata.end() ? "reset_after" : it->second;
      const std::string want = cell == CellKind::gru ? "reset_after" : "reset_before";
      if (form != want)
        throw StateDictError(path + ": these GRU weights were made for the " + form + " form" +
                             (it == nt.metadata.end() ? " (no birnn.gru_form note: PyTorch's GRU)" : "") +
                             ", but this GRU has reset_after(" + (cell == CellKind::gru ? "true" : "false") +
                             "); build it with GRUOptions(...).reset_after(" + (form == "reset_after" ? "true" : "false") + ")");
    }
  }
  try {
    module.load_state_dict(nt.tensors, strict);
  } catch (const StateDictError& e) {
    throw StateDictError(path + ": " + e.what());
  }
  return nt;
}

}  // namespace birnn
