# onemap — the two commands of the README: `make demo` and `make test`.
PY      := .venv/bin/python
ONEMAP  := .venv/bin/onemap
DEMO    := var/demo
STORE   := gpkg://$(CURDIR)/var/store.gpkg
PARCELS ?= 20000
SECRET  := var/secret_key
export ONEMAP_DATA_DIR := $(CURDIR)/var

.PHONY: setup demo demo-data test lint bench clean

setup:                      ## system packages (PostGIS, CJK fonts), PostgreSQL running, Python venv
	bash scripts/setup.sh

demo-data: setup            ## generate the sample county and import it into the embedded store
	rm -rf $(DEMO) var/store.gpkg
	$(ONEMAP) sample $(DEMO) --parcels $(PARCELS) --seed 1
	$(ONEMAP) import "$(DEMO)/县级国土调查.gdb" --store $(STORE) --year 2019 --valid-date 2019-12-31 \
	    --department 自然资源局 --note "三调成果(样例数据)" --security-level 公开
	$(ONEMAP) import "$(DEMO)/国土空间规划.gdb" --store $(STORE) --year 2035 --department 自然资源局 \
	    --note "国土空间总体规划(样例数据)" --security-level 公开
	$(ONEMAP) import "$(DEMO)/监测.gpkg" --store $(STORE) --category 管理 --department 自然资源局 \
	    --security-level 公开
	$(ONEMAP) documents list GHYDYH | grep -q 规划文本 || $(ONEMAP) documents attach GHYDYH \
	    "$(DEMO)/规划文本.docx" "$(DEMO)/规划指标表.xlsx" --store $(STORE)
	$(ONEMAP) layers --store $(STORE)

$(SECRET):
	mkdir -p var && $(PY) -c "import secrets; print(secrets.token_urlsafe(48))" > $@ && chmod 600 $@

demo: demo-data $(SECRET)   ## everything above, then serve on http://127.0.0.1:8000
	@echo "创建第一个系统管理员:  ONEMAP_DATA_DIR=var .venv/bin/onemap admin create-first --username admin"
	ONEMAP_SECRET_KEY="$$(cat $(SECRET))" $(ONEMAP) serve --store $(STORE) --host 127.0.0.1 --port 8000

lint: setup
	.venv/bin/ruff check onemap tests benchmarks

test: setup                 ## the whole suite, on both stores (GeoPackage and PostGIS)
	.venv/bin/ruff check onemap tests benchmarks
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: setup                ## benchmarks: import 300k parcels into each store, ellipsoid area
	$(PY) benchmarks/run.py

clean:
	rm -rf var .venv *.egg-info
