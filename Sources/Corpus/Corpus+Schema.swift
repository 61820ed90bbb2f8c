import GRDB

extension Corpus {
    /// The user tables, in the order `corpus info` lists them.
    public static let tables = [
        "document", "label", "code", "documentCode", "image", "imageLabel",
        "isolate", "variant", "phenotype", "model", "documentImage", "job",
    ]

    /// The names of the migrations, in order (a server backend applies the same ones).
    public static var migrationNames: [String] { migrator.migrations }

    /// The schema. A shipped migration is never edited: add a new one below it.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("Create document, label, code and document code") { db in
            try db.create(table: "document") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("source", .text).notNull()          // archive, file or task the text came from
                t.column("externalId", .text).notNull()      // the id inside that source (e.g. CXR1)
                t.column("kind", .text).notNull()
                    .check(sql: "kind IN ('report', 'note', 'vignette')")
                t.column("text", .text).notNull()
                t.column("contentHash", .text).notNull()
                t.column("importedAt", .datetime).notNull()
                t.uniqueKey(["source", "externalId"])
            }
            try db.create(index: "document_on_externalId", on: "document", columns: ["externalId"])

            try db.create(table: "label") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.column("scheme", .text).notNull()          // chexpert, chestxray14, or a task name
                t.column("observation", .text).notNull()
                t.column("value", .integer).notNull().check(sql: "value IN (1, 0, -1)")
                t.column("source", .text).notNull()
                    .check(sql: "source IN ('rules', 'icd', 'mesh', 'human', 'model')")
                t.column("evidenceStart", .integer)          // UTF-8 offsets into document.text
                t.column("evidenceEnd", .integer)
                t.column("evidence", .text)                  // the sentence that justifies the label
                t.column("ruleId", .text)
                t.column("ruleSetVersion", .text)
                t.uniqueKey(["documentId", "scheme", "observation", "source"])
                t.check(sql: "evidenceStart IS NULL OR evidenceEnd >= evidenceStart")
            }
            try db.create(index: "label_on_scheme_source", on: "label", columns: ["scheme", "source", "observation"])

            try db.create(table: "code") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("system", .text).notNull()          // icd10cm
                t.column("code", .text).notNull()            // J18.9, or a chapter / section id
                t.column("kind", .text).notNull()
                    .check(sql: "kind IN ('chapter', 'section', 'code')")
                t.column("parent", .text)                    // the code of the parent entry
                t.column("title", .text).notNull()
                t.column("inclusionTerms", .text)            // newline-separated
                t.uniqueKey(["system", "code"])
            }

            try db.create(table: "documentCode") { t in
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.belongsTo("code", onDelete: .cascade).notNull()
                t.primaryKey(["documentId", "codeId"])
            }
        }

        migrator.registerMigration("Create image and image label") { db in
            try db.create(table: "image") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("location", .text).notNull()        // file path, or file#split/index for arrays
                t.column("width", .integer).notNull().check { $0 > 0 }
                t.column("height", .integer).notNull().check { $0 > 0 }
                t.column("channels", .integer).notNull().defaults(to: 1).check { $0 > 0 }
                t.column("split", .text).check(sql: "split IS NULL OR split IN ('train', 'val', 'test')")
                t.column("pixels", .blob)                    // raw 8-bit pixels when stored inline
                t.belongsTo("document", onDelete: .setNull)  // the study's report, when known
                t.uniqueKey(["location"])
            }
            try db.create(table: "imageLabel") { t in
                t.belongsTo("image", onDelete: .cascade).notNull()
                t.column("task", .text).notNull()
                t.column("observation", .text).notNull()
                t.column("value", .integer).notNull().check(sql: "value IN (1, 0, -1)")
                t.primaryKey(["imageId", "task", "observation"])
            }
        }

        migrator.registerMigration("Create isolate, variant and phenotype") { db in
            try db.create(table: "isolate") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("sampleId", .text).notNull().unique()
                t.column("source", .text).notNull()
            }
            try db.create(table: "variant") { t in
                t.belongsTo("isolate", onDelete: .cascade).notNull()
                t.column("gene", .text).notNull()
                t.column("change", .text).notNull()          // HGVS c./p./n. as in the catalogue
                t.column("effect", .text)
                t.column("alleleFraction", .double)
                t.column("position", .text)                  // H37Rv position(s), ';'-separated
                t.primaryKey(["isolateId", "gene", "change"])
            }
            try db.create(table: "phenotype") { t in
                t.belongsTo("isolate", onDelete: .cascade).notNull()
                t.column("drug", .text).notNull()
                t.column("phenotype", .text).notNull().check(sql: "phenotype IN ('R', 'S')")
                t.column("method", .text)
                t.primaryKey(["isolateId", "drug"])
            }
        }

        migrator.registerMigration("Create model") { db in
            try db.create(table: "model") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique()
                t.column("task", .text).notNull()
                t.column("file", .text).notNull()
                t.column("metrics", .jsonText)               // JSON object of measured metrics
                t.column("createdAt", .datetime).notNull()
            }
        }

        migrator.registerMigration("Create document image") { db in
            // The image ids a report names (Open-i parentImage), before any image is imported.
            try db.create(table: "documentImage") { t in
                t.belongsTo("document", onDelete: .cascade).notNull()
                t.column("imageRef", .text).notNull()        // e.g. CXR1_1_IM-0001-3001
                t.primaryKey(["documentId", "imageRef"])
            }
            try db.create(index: "documentImage_on_imageRef", on: "documentImage", columns: ["imageRef"])
        }

        migrator.registerMigration("Add kind and training data to model") { db in
            // Every train command registers its model; the kind says which loader reads the file.
            try db.alter(table: "model") { t in
                t.add(column: "kind", .text).notNull().defaults(to: "text")
                    .check(sql: "kind IN ('text', 'image', 'resistance')")
                t.add(column: "trainingData", .jsonText)     // JSON object: TrainingData
            }
            // Image models were registered with the task "image:TASK" before the kind existed.
            try db.execute(sql: "UPDATE model SET kind = 'image', task = substr(task, 7) WHERE task LIKE 'image:%'")
            // Text models kept their metrics nested as {"kind", "arch", "metrics": {...}}: flatten them.
            try db.execute(sql: """
                UPDATE model SET metrics = json_extract(metrics, '$.metrics')
                WHERE json_valid(metrics) AND json_type(metrics, '$.metrics') = 'object'
                """)
        }

        migrator.registerMigration("Add reader to label") { db in
            // Several human readers may label the same observation of a document (review, kappa between
            // readers): the reader joins the unique key. SQLite cannot change a unique key in place, so the
            // table is rebuilt (the migrator defers foreign-key checks to the end of the migration).
            try db.execute(sql: """
                CREATE TABLE "label_new" (
                    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
                    "documentId" INTEGER NOT NULL REFERENCES "document"("id") ON DELETE CASCADE,
                    "scheme" TEXT NOT NULL,
                    "observation" TEXT NOT NULL,
                    "value" INTEGER NOT NULL CHECK (value IN (1, 0, -1)),
                    "source" TEXT NOT NULL CHECK (source IN ('rules', 'icd', 'mesh', 'human', 'model')),
                    "evidenceStart" INTEGER,
                    "evidenceEnd" INTEGER,
                    "evidence" TEXT,
                    "ruleId" TEXT,
                    "ruleSetVersion" TEXT,
                    "reader" TEXT NOT NULL DEFAULT '' CHECK (reader = '' OR source = 'human'),
                    "labelledAt" DATETIME,
                    UNIQUE ("documentId", "scheme", "observation", "source", "reader"),
                    CHECK (evidenceStart IS NULL OR evidenceEnd >= evidenceStart)
                )
                """)
            try db.execute(sql: """
                INSERT INTO label_new (id, documentId, scheme, observation, value, source, evidenceStart, evidenceEnd,
                                       evidence, ruleId, ruleSetVersion)
                SELECT id, documentId, scheme, observation, value, source, evidenceStart, evidenceEnd,
                       evidence, ruleId, ruleSetVersion FROM label
                """)
            try db.execute(sql: "DROP TABLE label")
            try db.execute(sql: "ALTER TABLE label_new RENAME TO label")
            try db.create(index: "index_label_on_documentId", on: "label", columns: ["documentId"])
            try db.create(index: "label_on_scheme_source", on: "label", columns: ["scheme", "source", "observation"])
        }

        migrator.registerMigration("Create job") { db in
            // Long jobs of `triage serve` (mine an upload, train a model): they outlive a page and a restart.
            try db.create(table: "job") { t in
                t.primaryKey("id", .text)                    // 128 random bits, hex
                t.column("kind", .text).notNull()            // mine, train-text, train-image, train-resistance
                t.column("state", .text).notNull()
                    .check(sql: "state IN ('queued', 'running', 'done', 'failed', 'interrupted', 'cancelled')")
                t.column("options", .jsonText).notNull()     // the job's options as JSON
                t.column("folder", .text)                    // its private upload folder, deleted when it ends
                t.column("progress", .jsonText)              // the last progress report
                t.column("log", .jsonText)                   // notes, warnings and epochs (the newest few hundred)
                t.column("result", .jsonText)
                t.column("error", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("startedAt", .datetime)
                t.column("finishedAt", .datetime)
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(index: "job_on_createdAt", on: "job", columns: ["createdAt"])
        }

        migrator.registerMigration("Add curves to model") { db in
            // The training curves and ROC curves of a model, for its model card.
            try db.alter(table: "model") { t in t.add(column: "curves", .jsonText) }
        }

        migrator.registerMigration("Add attributes to label") { db in
            // A condition's ConText attributes (JSON: negated, uncertain, historical, hypothetical, experiencer).
            try db.alter(table: "label") { t in t.add(column: "attributes", .jsonText) }
        }

        migrator.registerMigration("Create document original") { db in
            // The text of a note before de-identification (`mine --deid --keep-original` only).
            try db.create(table: "documentOriginal") { t in
                t.primaryKey("documentId", .integer).references("document", onDelete: .cascade)
                t.column("text", .text).notNull()
            }
        }

        migrator.registerMigration("Create shard") { db in
            // The work queue of `mine --enqueue` and `triage worker`. Workers claim shards with row locks
            // (FOR UPDATE SKIP LOCKED), so the queue runs on PostgreSQL only; the table is here too so
            // that both backends share one list of migrations.
            try db.create(table: "shard") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("input", .text).notNull()
                t.column("source", .text).notNull()
                t.column("scheme", .text).notNull()
                t.column("options", .jsonText).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("ruleSetVersion", .text).notNull()
                t.column("firstItem", .integer).notNull().check { $0 >= 0 }
                t.column("itemCount", .integer).notNull().check { $0 > 0 }
                t.column("firstDocumentId", .integer).notNull()
                t.column("state", .text).notNull().defaults(to: "queued")
                    .check { ["queued", "running", "done", "failed"].contains($0) }
                t.column("worker", .text)
                t.column("claim", .text)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("reports", .integer)
                t.column("labels", .integer)
                t.column("bad", .integer)
                t.column("warnings", .text)
                t.column("error", .text)
                t.column("createdAt", .datetime).notNull().defaults(sql: "CURRENT_TIMESTAMP")
                t.column("claimedAt", .datetime)
                t.column("heartbeatAt", .datetime)
                t.column("finishedAt", .datetime)
                t.uniqueKey(["input", "source", "scheme", "firstItem"])
            }
            try db.create(index: "shard_on_state", on: "shard", columns: ["state", "id"])
        }

        migrator.registerMigration("Add worker and heartbeat to job") { db in
            // Jobs claimed from the table by any server of a corpus (replicas): who runs a job, when it
            // last said it was alive, and a cancellation asked for by another server.
            try db.alter(table: "job") { t in
                t.add(column: "worker", .text)
                t.add(column: "heartbeatAt", .datetime)
                t.add(column: "cancelRequested", .boolean).notNull().defaults(to: false)
            }
            try db.create(index: "job_on_state", on: "job", columns: ["state", "createdAt"])
        }

        migrator.registerMigration("Create revoked session") { db in
            // Login sessions of `triage serve` are signed cookies (any replica checks them alone); a
            // logout records the session here so that no replica accepts its cookie again.
            try db.create(table: "revokedSession") { t in
                t.primaryKey("id", .text)
                t.column("expiresAt", .datetime).notNull()   // when the cookie would have expired anyway
            }
        }

        migrator.registerMigration("Drop the label index its key covers") { db in
            // The unique key (documentId, scheme, observation, source, reader) already finds a
            // document's labels; a second index on documentId only cost every label insert its upkeep.
            try db.drop(index: "index_label_on_documentId")
        }

        return migrator
    }
}
