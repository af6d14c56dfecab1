# The network model classifier's data, plots, benchmark and installed files (docs/model.md).
# Included by the top-level Makefile; `make data` must reproduce model/*.csv byte for byte.
MODEL_SEED := 2019
MODEL_DIR  := $(PREFIX)/share/cbpfnet

.PHONY: model-plots bench-model install-model

data: cbpfnet cbpfnet-full
	./cbpfnet model gen --seed $(MODEL_SEED) --train model/train.csv --test model/test.csv

model-plots: cbpfnet cbpfnet-full
	./cbpfnet model eval --model model/model.json --data model/test.csv --population \
		--roc docs/roc.png --calibration docs/calibration.png

# The installed binary falls back to the model installed here.
$(BUILD)/user/model/store.o: CPPFLAGS += -DCBPF_MODEL_DIR='"$(MODEL_DIR)"' \
	-DMODEL_SOURCE_DIR='"$(CURDIR)/model"'

install: install-model
install-model:
	install -D -m 0644 model/model.json $(DESTDIR)$(MODEL_DIR)/model.json
	install -D -m 0644 model/train.csv $(DESTDIR)$(MODEL_DIR)/train.csv
	install -D -m 0644 model/test.csv $(DESTDIR)$(MODEL_DIR)/test.csv

bench: bench-model
bench-model: $(BUILD)/bench/model_bench
	$(BUILD)/bench/model_bench model/train.csv
