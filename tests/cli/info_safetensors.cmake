# birnn info FILE.safetensors on PyTorch state_dicts (the committed oracle files, written from torch.nn
# modules): it names the layer and the C++ options that load it; a missing or broken file is a clean error.
# The weights file of a birnn checkpoint points at the checkpoint instead.
# Invoked by CTest with -DBIRNN=<birnn> -DSTATE_DICTS=<tests/reference/state_dicts> -DSAMPLE=<a CoNLL file>
# -DWORK=<scratch folder>.
include(${CMAKE_CURRENT_LIST_DIR}/cli_checks.cmake)

run_ok(info ${STATE_DICTS}/lstm_bi_l2_proj1_len_h0_030.safetensors)
if(NOT out MATCHES "recurrent layer: LSTM\\(LSTMOptions\\(5, 3\\)\\.num_layers\\(2\\)\\.bidirectional\\(true\\)\\.proj_size\\(1\\)\\)"
   OR NOT out MATCHES "weight_hr_l1_reverse +\\(1, 3\\)" OR NOT out MATCHES "birnn::load\\(layer, ")
  message(FATAL_ERROR "birnn info on a PyTorch LSTM state_dict: expected its options and tensors, got:\n${out}")
endif()
run_ok(info ${STATE_DICTS}/gru_uni_l2_nobias_060.safetensors)
if(NOT out MATCHES "recurrent layer: GRU\\(GRUOptions\\(1, 2\\)\\.num_layers\\(2\\)\\.bias\\(false\\)\\)")
  message(FATAL_ERROR "birnn info on a PyTorch GRU state_dict: expected its options, got:\n${out}")
endif()
run_ok(info ${STATE_DICTS}/rnn_tanh_bi_l2_len_h0_000.safetensors)
if(NOT out MATCHES "RNN\\(RNNOptions\\([0-9]+, [0-9]+\\)\\.num_layers\\(2\\)\\.bidirectional\\(true\\)\\)  \\(tanh assumed")
  message(FATAL_ERROR "birnn info on a PyTorch RNN state_dict: expected its options and the tanh caveat, got:\n${out}")
endif()

file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/not_really.safetensors "hello")
expect_failure("not_really.safetensors" info ${WORK}/not_really.safetensors)
expect_failure("no_such.safetensors" info ${WORK}/no_such.safetensors)

file(REMOVE_RECURSE ${WORK}/run)
run_ok(train pos --data ${SAMPLE} --epochs 1 --hidden 4 --embedding 4 --threads 1 --out ${WORK}/run)
run_ok(info ${WORK}/run/best.safetensors)
if(NOT out MATCHES "recurrent layer under \"lstm\\.\": LSTM\\(LSTMOptions\\([0-9]+, 4\\)\\.bidirectional\\(true\\)\\)\n"
   OR NOT out MATCHES "weights file of the checkpoint [^\n]*/run/best: `birnn info [^\n]*/run/best`" OR out MATCHES "load it")
  message(FATAL_ERROR "birnn info on a checkpoint's weights file: expected its layer and a pointer to the checkpoint, got:\n${out}")
endif()
