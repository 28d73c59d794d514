"""规划成果文档: the plan's text, drawings and indicator table attached to a catalog entry (S1.1).

Files live under the node's data directory (``documents/``), their records in the records database;
:mod:`onemap.documents.view` turns a DOCX into headings, paragraphs and tables and an XLSX into rows, as
data the web app builds its own elements from (never HTML from a file).
"""

from onemap.documents.library import Document, attach, attach_all, document_path, get_document, list_documents
from onemap.documents.view import view_document

__all__ = ["Document", "attach", "attach_all", "document_path", "get_document", "list_documents", "view_document"]
