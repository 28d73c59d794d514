"""数据导入: guards that check an upload (archives, files, encodings) before GDAL reads it."""
