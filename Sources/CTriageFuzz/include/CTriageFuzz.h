#ifndef C_TRIAGE_FUZZ_H
#define C_TRIAGE_FUZZ_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own mutation (byte edits, dictionary, comparison operands), for the custom mutator
/// of TriageFuzz to fall back on.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

#endif
