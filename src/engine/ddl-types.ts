/** The DDL types StartParam.ddlMarkMap knows (docs/design.md section 2). */
export const DDL_TYPES = ['CREATETABLE', 'DROPTABLE', 'RENAMETABLE', 'TRUNCATETABLE', 'ADDCOLUMN', 'DROPCOLUMN', 'RENAMECOLUMN', 'MODIFYCOLUMN'] as const;
export type DdlType = (typeof DDL_TYPES)[number];
