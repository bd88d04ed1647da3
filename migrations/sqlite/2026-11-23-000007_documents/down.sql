DROP TABLE issued_documents;
DROP TABLE document_sections;
DROP TABLE document_settings;
