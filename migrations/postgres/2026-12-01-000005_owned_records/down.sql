DROP TABLE owned_records;
