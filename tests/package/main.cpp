// Builds against the installed headers and library; prints the output shape of a small BiGRU.
#include <birnn/birnn.hpp>
#include <cstdio>

int main() {
  birnn::GRU gru(birnn::GRUOptions(4, 3).bidirectional(true));
  auto out = gru.forward(birnn::Tensor::zeros({5, 2, 4}));
  std::printf("%s\n", birnn::shape_str(out.output.shape()).c_str());
  return out.output.shape() == birnn::Shape{5, 2, 6} ? 0 : 1;
}
