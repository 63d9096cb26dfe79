/** The wire shape of a task as a Data Integration file, shared by ListFiles and GetFile. */
import type { TaskFileRecord } from '../store/catalog-store.ts';

export function fileView(f: TaskFileRecord, withContent: boolean) {
  return {
    FileId: f.id,
    FileName: f.name,
    FileType: f.fileType,
    FileFolderId: f.folderPath,
    AbsoluteFolderPath: f.folderPath,
    Content: withContent ? f.content : null,
    CommitStatus: f.deployedVersion === f.version ? 1 : 0,
    CurrentVersion: f.version,
    Owner: f.ownerPrincipalId,
    CreateUser: f.ownerPrincipalId,
    LastEditUser: f.lastEditPrincipalId,
    CreateTime: f.createdAt,
    LastEditTime: f.modifiedAt,
    NodeId: f.id,
    BusinessId: 0,
    BizId: 0,
    ParentId: -1,
    UseType: 'NORMAL',
    ConnectionName: null,
    AutoParsing: false,
    IsMaxCompute: false,
    FileDescription: '',
  };
}
