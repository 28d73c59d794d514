# onemap — the two commands of the README: `make demo` and `make test`.
PY      := .venv/bin/python
ONEMAP  := .venv/bin/onemap
DEMO    := var/demo
STORE   := gpkg://$(CURDIR)/var/store.gpkg
PARCELS ?= 20000
PORT    ?= 8000
# the sample county's code (onemap/sample/data/params.toml): its 规划指标表 gives the targets a sweep compares
COUNTY  := 341799
SECRET  := var/secret_key
export ONEMAP_DATA_DIR := $(CURDIR)/var

IMPORTED := var/demo.imported
SERVE   = ONEMAP_SECRET_KEY="$$(cat $(SECRET))" $(ONEMAP) serve --store $(STORE) --host 127.0.0.1 --port $(PORT)

.PHONY: setup demo demo-data serve first-steps test lint bench clean

setup:                      ## system packages (PostGIS, CJK fonts), PostgreSQL running, Python venv
	bash scripts/setup.sh

# The sample county is generated and imported once; later `make demo` and `make serve` keep it (and the
# accounts in var/records.sqlite). `make demo-data` starts the data over (e.g. with PARCELS=…).
$(IMPORTED):
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
	$(ONEMAP) indicators plan-table "$(DEMO)/规划指标表.xlsx" --region $(COUNTY)
	$(ONEMAP) monitor sweep --store $(STORE) --region $(COUNTY)
	$(ONEMAP) layers --store $(STORE)
	touch $@

demo-data: setup            ## generate the sample county again and import it into the embedded store
	rm -f $(IMPORTED)
	$(MAKE) --no-print-directory $(IMPORTED)

$(SECRET):
	mkdir -p var && $(PY) -c "import secrets; print(secrets.token_urlsafe(48))" > $@ && chmod 600 $@

first-steps:                ## how to make the first business account and sign in
	@echo ""
	@echo "一张图:http://127.0.0.1:$(PORT)/  (数据和账号保存在 var/;再次 make demo 或 make serve 沿用,不重新导入)"
	@echo "第一个业务账号:另开一个终端,在本目录执行(输入两次初始口令):"
	@echo "    ONEMAP_DATA_DIR=var .venv/bin/onemap user add zhangsan --role 业务人员 --display-name 张三"
	@echo "然后在浏览器点“登录”,用 zhangsan 和初始口令登录,按提示修改口令后即进入一张图。"
	@echo "系统管理员(管理账号用,不看业务数据):ONEMAP_DATA_DIR=var .venv/bin/onemap admin create-first --username admin"
	@echo ""

# 监测预警: a few seconds after the server starts (and subscribes to Mosquitto), the sample's year of monitoring
# traffic is published at 5 messages a second, so warnings arrive live on the 监测预警 page (ids repeat on a
# second `make demo`: the server counts them as duplicates).
REPLAY = ( sleep 8; test -f "$(DEMO)/监测消息.jsonl" && $(ONEMAP) monitor replay "$(DEMO)/监测消息.jsonl" --rate 5 \
	    > var/replay.log 2>&1 ) &

demo: setup $(IMPORTED) $(SECRET) first-steps  ## everything above (import only the first time), then serve on :8000
	@echo "监测预警:服务启动后将以每秒 5 条发布样例监测消息(onemap monitor replay),在“监测预警”页可看到预警实时到达"
	$(REPLAY)
	$(SERVE)

serve: $(SECRET)            ## restart the server on the existing store (no setup, no import)
	@test -f $(IMPORTED) -a -f var/store.gpkg || { echo "尚无导入的数据:请先运行 make demo"; exit 1; }
	@$(MAKE) --no-print-directory first-steps
	$(SERVE)

lint: setup
	.venv/bin/ruff check onemap tests benchmarks

test: setup                 ## the whole suite, on both stores (GeoPackage and PostGIS)
	.venv/bin/ruff check onemap tests benchmarks
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: setup                ## benchmarks: import 300k parcels into each store, ellipsoid area
	$(PY) benchmarks/run.py

clean:
	rm -rf var .venv *.egg-info
