// birnn: recurrent neural networks (RNN, LSTM, GRU; bidirectional, stacked) for C++ on CPU, with
// PyTorch's semantics and weight names, trained with reverse-mode autograd.
//
// Tutorial
// --------
//   #include <birnn/birnn.hpp>
//   using namespace birnn;
//
//   manual_seed(0);                                  // init and dropout are repeatable
//   LSTM lstm(LSTMOptions(16, 32).bidirectional(true));
//   Linear head(LinearOptions(2 * 32, 4));
//   Adam opt([&] { auto p = lstm.parameters(); for (auto& q : head.parameters()) p.push_back(q); return p; }(), 1e-2);
//
//   Tensor x = Tensor::zeros({T, B, 16});            // (time, batch, features); batch_first(true) for (B, T, F)
//   Tensor lengths = Tensor::from_vector(std::vector<std::int64_t>{5, 3}, {2});   // optional, 1..T each
//   RecurrentOutput out = lstm.forward(x, lengths);  // out.output (T, B, 64), out.h_n (2, B, 32), out.c_n
//   Tensor feats = cat({narrow(out.h_n, 0, 0, 1), narrow(out.h_n, 0, 1, 1)}, 2);   // (1, B, 64)
//   Tensor loss = cross_entropy(reshape(head.forward(feats), {B, 4}), labels);
//   opt.zero_grad();
//   loss.backward();                                 // BPTT through the whole sequence
//   opt.step();
//
//   { NoGradGuard ng; lstm.eval(); auto y = lstm.forward(x); }   // inference records nothing
//
//   load(lstm, "pytorch_lstm.safetensors");          // a PyTorch state_dict saved as safetensors
//                                                    // (tools/pytorch_to_safetensors.py; `birnn info FILE` names the
//                                                    // options that fit it, find_recurrent_layers in code)
//   save(lstm, "mine.safetensors");                  // atomic write, PyTorch names
//
// Streaming: RecurrentState s; for each step: y_t = lstm.step(x_t, s);   (unidirectional models)
// Threads: set_num_threads(n) (default: all cores) applies to every kernel birnn runs.
// Training loop: Trainer (trainer.hpp) steps, clips, schedules, checkpoints and stops on NaN/Inf naming the step.
// Errors: bad shapes, options and files throw birnn::Error subclasses (error.hpp) naming the culprit.
#pragma once

#include "birnn/autograd.hpp"
#include "birnn/checkpoint.hpp"
#include "birnn/crf.hpp"
#include "birnn/error.hpp"
#include "birnn/layers.hpp"
#include "birnn/linear.hpp"
#include "birnn/loss.hpp"
#include "birnn/models/model.hpp"
#include "birnn/module.hpp"
#include "birnn/ops.hpp"
#include "birnn/optim.hpp"
#include "birnn/random.hpp"
#include "birnn/recurrent_layers_in.hpp"
#include "birnn/rnn.hpp"
#include "birnn/schedule.hpp"
#include "birnn/serialize.hpp"
#include "birnn/tensor.hpp"
#include "birnn/threads.hpp"
#include "birnn/trainer.hpp"
